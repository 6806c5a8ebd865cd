# =============================================================================
#
# awsenv: PowerShell integration.
#
# `awsenv init powershell` prints this file with its three bare-word tokens replaced
# (awsenv/shells.py, init_script; CONTRIBUTING.md, "Shell files"): the quoted command
# that runs the core (the interpreter, its flags and awsenv's __main__.py, all by
# absolute path: never a `python` found through PATH, so pyenv shims cannot pick
# another one); 1 or 0 for the prompt segment (0 with --no-prompt: the prompt's
# text is then never touched); and 1 or 0 for the automatic renewal at the prompt
# (0 with --no-auto-refresh).
# Bare words keep this file, as committed, parseable, so the linters check it as it is.
#
# Helpers live in a dynamic module (starship's New-Module pattern) so that only
# `awsenv` and, unless both --no-prompt and --no-auto-refresh, `prompt` reach the
# global scope.
#

$null = New-Module -Name awsenv -ScriptBlock {

    # =========================================================================
    #
    # The `awsenv` function: the only way the Python core can change this shell.
    #

    # The core cannot change its parent's environment, so for the subcommands that
    # do, it prints PowerShell code on stdout, which we Invoke-Expression (direnv's
    # protocol). stdout is captured only for those: `list` keeps its colours and
    # `login` its prompts. stderr is never captured: it carries errors and progress.
    $script:EnvCommands = @('use', 'unset', 'region', 'refresh', 'logout')

    function global:awsenv {
        # Error text may not be ASCII: read the core's output as UTF-8 (zoxide).
        $previousEncoding = [Console]::OutputEncoding
        $previousShell = $env:AWSENV_SHELL
        try {
            [Console]::OutputEncoding = [System.Text.UTF8Encoding]::new($false)
            # PowerShell has no `VAR=value command`: set it for the call, then put
            # back what was there, so plain `python -m awsenv use` outside the
            # wrapper still knows it is not wrapped.
            $env:AWSENV_SHELL = 'powershell'
            # `awsenv --debug use prod`: the command follows the global option.
            $command = if ($args.Count -gt 1 -and $args[0] -ceq '--debug') { $args[1] }
            elseif ($args.Count -gt 0) { $args[0] }
            else { $null }
            if ($null -ne $command -and $script:EnvCommands -ccontains $command) {
                $out = & __AWSENV_CORE__ @args
                $status = $LASTEXITCODE
                if ($status -eq 0 -and $null -ne $out) {
                    # Native output arrives as one string per line; the core writes
                    # one statement per line, so joining them back is exact. (No
                    # Ctrl-C guard here, unlike bash/zsh: PowerShell has no cheap way
                    # to ignore it, and the few assignments take microseconds.)
                    Invoke-Expression -Command (@($out) -join "`n")
                }
            }
            else {
                & __AWSENV_CORE__ @args
                $status = $LASTEXITCODE
            }
        }
        finally {
            [Console]::OutputEncoding = $previousEncoding
            if ($null -eq $previousShell) {
                Remove-Item -LiteralPath Env:AWSENV_SHELL -ErrorAction SilentlyContinue
            }
            else {
                $env:AWSENV_SHELL = $previousShell
            }
        }
        $global:LASTEXITCODE = $status
    }

    # =========================================================================
    #
    # Prompt segment: `aws:NAME 1h05m ` in front of the user's own prompt.
    #
    # This runs before every prompt, so it starts no process: .NET and operators
    # only, no Python.
    #
    # starship users: starship's own `aws` module reads AWS_PROFILE and
    # AWS_CREDENTIAL_EXPIRATION, so init with `--no-prompt` and let starship draw it.
    # Renewal then still runs (see the end of this file).
    #

    # =========================================================================
    #
    # Automatic renewal (as in the bash hook). Exported keys (not a profile: the SDKs
    # renew that themselves) that renew with no browser and no prompt ($env:AWSENV_RENEWABLE
    # 'always', 'session', or an end still ahead) and are within 5 minutes of their end:
    # run the core once, in the mode that never starts a browser, a prompt or a picker,
    # and evaluate what it prints. It prints nothing and exits non-zero when renewing
    # needs the user; the prompt then keeps its mark and the next `awsenv refresh` signs
    # in. Each start, success or not, holds off the next for 60 s: a failure is tried
    # once a minute at most, never in a loop. stderr goes nowhere: the mark is the signal.
    #

    # The earliest time (Unix seconds) the prompt may start the core again.
    $script:AutoNext = [long]0

    function Test-AwsenvRenewalDue {
        param([long]$Now)
        if ('__AWSENV_AUTO__' -ne '1' -or $env:AWSENV_AUTO_REFRESH -ceq '0') {
            return $false
        }
        if ([string]::IsNullOrEmpty($env:AWSENV_PROFILE) -or
            [string]::IsNullOrEmpty($env:AWS_ACCESS_KEY_ID)) {
            return $false
        }
        $culture = [Globalization.CultureInfo]::InvariantCulture
        $expiration = $env:AWSENV_EXPIRATION
        if ($null -eq $expiration -or $expiration -cnotmatch '^[0-9]{1,18}\z') {
            return $false
        }
        if ([long]::Parse($expiration, $culture) - $Now -gt 300 -or $Now -lt $script:AutoNext) {
            return $false
        }
        $renewable = $env:AWSENV_RENEWABLE
        if ($renewable -ceq 'always' -or $renewable -ceq 'session') {
            return $true
        }
        return ($null -ne $renewable -and $renewable -cmatch '^[0-9]{1,18}\z' -and
            [long]::Parse($renewable, $culture) -gt $Now)
    }

    function Invoke-AwsenvAutoRefresh {
        $now = [DateTimeOffset]::UtcNow.ToUnixTimeSeconds()
        if (-not (Test-AwsenvRenewalDue -Now $now)) {
            return
        }
        $script:AutoNext = $now + 60
        $previousEncoding = [Console]::OutputEncoding
        $previousShell = $env:AWSENV_SHELL
        try {
            [Console]::OutputEncoding = [System.Text.UTF8Encoding]::new($false)
            $env:AWSENV_SHELL = 'powershell'
            $out = & __AWSENV_CORE__ refresh --auto 2>$null
            if ($LASTEXITCODE -eq 0 -and $null -ne $out) {
                Invoke-Expression -Command (@($out) -join "`n")
            }
        }
        catch {
            # never break the prompt: the mark stays, `awsenv refresh` says what is wrong
        }
        finally {
            [Console]::OutputEncoding = $previousEncoding
            if ($null -eq $previousShell) {
                Remove-Item -LiteralPath Env:AWSENV_SHELL -ErrorAction SilentlyContinue
            }
            else {
                $env:AWSENV_SHELL = $previousShell
            }
        }
    }

    function Get-AwsenvSegment {
        $name = $env:AWSENV_PROFILE
        # With --no-prompt there is no segment.
        if ('__AWSENV_PROMPT__' -ne '1' -or [string]::IsNullOrEmpty($name)) {
            return ''
        }
        # A profile name is any string: control characters (ESC, newline) would
        # repaint the terminal, so they become `?`.
        $name = $name -replace '\p{Cc}', '?'
        $text = 'aws:' + $name
        # '(exec)': a shell that `awsenv exec PROFILE` started (exit leaves it).
        if (-not [string]::IsNullOrEmpty($env:AWSENV_EXEC)) {
            $text = $text + '(exec)'
        }
        $color = 32

        # Two clocks (as in the bash hook): AWSENV_EXPIRATION is when the exports
        # stop working, AWSENV_RENEWABLE until when `awsenv refresh` renews them
        # silently ('always': a source that never expires; 'session': an Identity
        # Center session whose end is not known). While the session can renew,
        # its time counts (with 'session', the exports' own until they expire),
        # and expired exports show a mark.
        # Only ASCII digits are used; anything else means "no expiration known".
        # \z, not $: in .NET, $ also matches before a final newline.
        $now = [DateTimeOffset]::UtcNow.ToUnixTimeSeconds()
        $culture = [Globalization.CultureInfo]::InvariantCulture
        $clock = $null
        $expiration = $env:AWSENV_EXPIRATION
        if ($null -ne $expiration -and $expiration -cmatch '^[0-9]{1,18}\z') {
            $clock = [long]::Parse($expiration, $culture)
        }
        $renewable = $env:AWSENV_RENEWABLE
        $renew = $false
        $until = $null
        if ($renewable -ceq 'always' -or $renewable -ceq 'session') {
            $renew = $true
        }
        elseif ($null -ne $renewable -and $renewable -cmatch '^[0-9]{1,18}\z') {
            $until = [long]::Parse($renewable, $culture)
            $renew = $until -gt $now
        }
        if ($renew) {
            $due = $null -ne $clock -and $clock -le $now
            if ($due) {
                $text = $text + ' ' + [string][char]0x21BB
                $color = 33
            }
            if ($due -or $renewable -cne 'session') {
                $clock = $until
            }
        }
        if ($null -ne $clock) {
            $rem = $clock - $now
            if ($rem -le 0) {
                $left = 'expired'
                $color = 31
            }
            elseif ($rem -lt 60) {
                $left = [string]$rem + 's'
            }
            elseif ($rem -lt 3600) {
                $left = [string][Math]::Floor($rem / 60) + 'm'
            }
            elseif ($rem -lt 86400) {
                $left = [string]::Format(
                    $culture,
                    '{0}h{1:D2}m',
                    [long][Math]::Floor($rem / 3600),
                    [long][Math]::Floor(($rem % 3600) / 60))
            }
            else {
                $left = [string]::Format(
                    $culture,
                    '{0}d{1:D2}h',
                    [long][Math]::Floor($rem / 86400),
                    [long][Math]::Floor(($rem % 86400) / 3600))
            }
            if ($rem -gt 0 -and $rem -le 900) {
                $color = 33
            }
            $text = $text + ' ' + $left
        }

        if (-not [string]::IsNullOrEmpty($env:NO_COLOR)) {
            return $text + ' '
        }
        $esc = [string][char]27
        return $esc + '[' + $color + 'm' + $text + $esc + '[0m '
    }

    # PowerShell has no hook that runs before each prompt other than the `prompt`
    # function itself (PSReadLine's OnIdle fires while the user types, not once per
    # prompt; PreCommandLookupAction fires per command, the cost this renewal avoids).
    # So with --no-prompt the prompt is still wrapped, for renewal alone: it returns
    # what the user's prompt returned, object for object, and adds no segment. A
    # prompt defined after this file ran (a theme, `starship init`, oh-my-posh) replaces
    # the wrapper, so put the awsenv line after theirs in $PROFILE.
    if ('__AWSENV_PROMPT__' -eq '1' -or '__AWSENV_AUTO__' -eq '1') {
        # Wrap, never replace (virtualenv's Activate.ps1 does the same). Keep the
        # first prompt seen, so that running the init twice does not wrap ours.
        if ($null -eq $global:__awsenv_user_prompt) {
            $global:__awsenv_user_prompt = $function:prompt
        }

        function global:prompt {
            # The user's prompt may show $? or $LASTEXITCODE: run it first, with
            # both as they were after the user's last command.
            $lastSuccess = $global:?
            $lastExitCode = $global:LASTEXITCODE
            Invoke-AwsenvAutoRefresh
            $segment = Get-AwsenvSegment
            $global:LASTEXITCODE = $lastExitCode
            if (-not $lastSuccess) {
                # $? is read-only; a failing no-op sets it to False (starship).
                Write-Error -Message '' -ErrorAction Ignore
            }
            $userPrompt = if ($null -ne $global:__awsenv_user_prompt) {
                & $global:__awsenv_user_prompt
            }
            else {
                'PS ' + $executionContext.SessionState.Path.CurrentLocation + '> '
            }
            if ('__AWSENV_PROMPT__' -ne '1') {
                # --no-prompt: the user's prompt exactly as it came, nothing added.
                return $userPrompt
            }
            $segment + (@($userPrompt) -join "`n")
        }
    }

    Export-ModuleMember -Function @()
}

# =============================================================================
#
# To use awsenv, add this to your $PROFILE:
#
# awsenv init powershell | Out-String | Invoke-Expression
