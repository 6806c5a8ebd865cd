# =============================================================================
#
# awsenv: PowerShell completion.
#
# Loaded by `awsenv init powershell`, or on its own with
# `awsenv completion powershell | Out-String | Invoke-Expression`. The interpreter
# token is replaced with the quoted Python that runs awsenv.
#
# The static parts (subcommands, options, regions) are written out here, so most
# completions start no process; tests/shells/test_drift.py checks them against
# awsenv/clispec.py. Only profile and sso-session names ask the core
# (`__complete profiles`, `__complete sso-sessions`), which reads ~/.aws/config
# and nothing else. Candidates are data: a name that needs quoting is offered
# single-quoted, every quote character doubled.
#

Register-ArgumentCompleter -Native -CommandName awsenv -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commands = @('use', 'unset', 'region', 'refresh', 'exec', 'credential-process', 'whoami',
        'login', 'logout', 'console', 'sso', 'configure', 'keys', 'list', 'status', 'explain', 'doctor',
        'init', 'completion', 'demo')
    $regions = @(
        'af-south-1', 'ap-east-1', 'ap-east-2', 'ap-northeast-1', 'ap-northeast-2',
        'ap-northeast-3', 'ap-south-1', 'ap-south-2', 'ap-southeast-1', 'ap-southeast-2',
        'ap-southeast-3', 'ap-southeast-4', 'ap-southeast-5', 'ap-southeast-7', 'ca-central-1',
        'ca-west-1', 'cn-north-1', 'cn-northwest-1', 'eu-central-1', 'eu-central-2',
        'eu-north-1', 'eu-south-1', 'eu-south-2', 'eu-west-1', 'eu-west-2', 'eu-west-3',
        'il-central-1', 'me-central-1', 'me-south-1', 'mx-central-1', 'sa-east-1', 'us-east-1',
        'us-east-2', 'us-gov-east-1', 'us-gov-west-1', 'us-west-1', 'us-west-2'
    )
    $shells = @('bash', 'zsh', 'fish', 'powershell')

    # The words before the cursor (the one being completed is left out).
    $words = @(
        foreach ($element in $commandAst.CommandElements) {
            if ($element.Extent.EndOffset -lt $cursorPosition -or
                ($element.Extent.EndOffset -eq $cursorPosition -and $wordToComplete -eq '')) {
                $element.Extent.Text
            }
        }
    )
    $previous = if ($words.Count -gt 0) { $words[-1] } else { '' }
    # The subcommand is the first word after `awsenv` that is not an option.
    $command = ''
    foreach ($word in ($words | Select-Object -Skip 1)) {
        if (-not $word.StartsWith('-')) {
            $command = $word
            break
        }
    }

    $candidates = switch ($command) {
        '' {
            if ($wordToComplete.StartsWith('-')) {
                @('-h', '--help', '--version', '--debug')
            }
            else {
                $commands
            }
        }
        'use' {
            if ($previous -ceq '--region') {
                $regions
            }
            elseif ($previous -ceq '--mfa-code' -or $previous -ceq '--role' -or
                $previous -ceq '--saml-assertion' -or $previous -ceq '--role-arn' -or
                $previous -ceq '--external-id' -or $previous -ceq '--session-name' -or
                $previous -ceq '--duration') {
                @()
            }
            elseif ($previous -ceq '--source') {
                @(& __AWSENV_CORE__ __complete profiles $wordToComplete 2>$null)
            }
            elseif ($wordToComplete.StartsWith('-')) {
                @('--keys', '--region', '--device-code', '--no-browser', '--mfa-code', '--role',
                    '--saml-assertion', '--write-credentials', '--force-login', '--role-arn',
                    '--source', '--external-id', '--session-name', '--duration', '-h', '--help',
                    '--debug')
            }
            else {
                # One name per line; the core leaves out names with control characters.
                @(& __AWSENV_CORE__ __complete profiles $wordToComplete 2>$null)
            }
        }
        'region' {
            if ($wordToComplete.StartsWith('-')) { @('-h', '--help', '--debug') } else { $regions }
        }
        'refresh' {
            @('--device-code', '--no-browser', '--auto', '-h', '--help', '--debug')
        }
        'exec' {
            # exec [options] PROFILE [-- COMMAND...]: the profile is the first word after `exec`
            # that is neither an option nor an option's value.
            $state = 'subcommand'
            foreach ($word in ($words | Select-Object -Skip 1)) {
                if ($state -ceq 'subcommand') {
                    if (-not $word.StartsWith('-')) { $state = 'profile' }
                }
                elseif ($state -ceq 'value') {
                    $state = 'profile'
                }
                elseif ($state -ceq 'profile') {
                    if ($word -ceq '--region' -or $word -ceq '--mfa-code' -or $word -ceq '--duration') {
                        $state = 'value'
                    }
                    elseif (-not $word.StartsWith('-')) {
                        $state = 'dashdash'
                    }
                }
                else {
                    $state = 'command'
                }
            }
            if ($state -ceq 'command') {
                # After `--` comes a command of its own: nothing is offered for it.
                @()
            }
            elseif ($state -ceq 'dashdash') {
                @('--')
            }
            elseif ($previous -ceq '--region') {
                $regions
            }
            elseif ($previous -ceq '--mfa-code' -or $previous -ceq '--duration') {
                @()
            }
            elseif ($wordToComplete.StartsWith('-')) {
                @('--region', '--mfa-code', '--duration', '--device-code', '--no-browser', '-h',
                    '--help', '--debug')
            }
            else {
                @(& __AWSENV_CORE__ __complete profiles $wordToComplete 2>$null)
            }
        }
        'login' {
            if ($previous -ceq '--sso-session') {
                # [sso-session] names, one per line, as for profiles.
                @(& __AWSENV_CORE__ __complete sso-sessions $wordToComplete 2>$null)
            }
            elseif ($wordToComplete.StartsWith('-')) {
                @('--sso-session', '--device-code', '--no-browser', '--force', '-h', '--help',
                    '--debug')
            }
            else {
                @(& __AWSENV_CORE__ __complete profiles $wordToComplete 2>$null)
            }
        }
        'logout' {
            if ($previous -ceq '--sso-session') {
                @(& __AWSENV_CORE__ __complete sso-sessions $wordToComplete 2>$null)
            }
            elseif ($wordToComplete.StartsWith('-')) {
                @('--sso-session', '--all', '-h', '--help', '--debug')
            }
            else {
                @(& __AWSENV_CORE__ __complete profiles $wordToComplete 2>$null)
            }
        }
        'console' {
            if ($previous -ceq '--region') {
                $regions
            }
            elseif ($previous -ceq '--service' -or $previous -ceq '--mfa-code' -or
                $previous -ceq '--duration') {
                @()
            }
            elseif ($wordToComplete.StartsWith('-')) {
                @('--print', '--service', '--region', '--mfa-code', '--duration', '--device-code',
                    '--no-browser', '-h', '--help', '--debug')
            }
            else {
                @(& __AWSENV_CORE__ __complete profiles $wordToComplete 2>$null)
            }
        }
        'sso' {
            if ($previous -ceq '--sso-session') {
                @(& __AWSENV_CORE__ __complete sso-sessions $wordToComplete 2>$null)
            }
            elseif ($previous -ceq '--prefix') {
                @()
            }
            elseif ($wordToComplete.StartsWith('-')) {
                @('--sso-session', '--dry-run', '--prefix', '-h', '--help', '--debug')
            }
            else {
                @('sync')
            }
        }
        'configure' {
            # configure KIND [--flag VALUE]...: the kind is the first word after `configure`
            # that is neither an option nor an option's value. Each kind takes only its own
            # flags (FLAGS in awsenv/commands/configure.py; another kind's is a usage error).
            $valued = @('--sso-session', '--start-url', '--sso-region', '--scopes', '--account',
                '--role', '--region', '--output', '--profile', '--org-domain', '--org-url',
                '--oidc-client-id', '--aws-acct-fed-app-id', '--aws-iam-idp', '--aws-iam-role',
                '--source-profile', '--role-arn', '--mfa-serial', '--mfa-code', '--external-id',
                '--role-session-name', '--duration-seconds')
            $kind = ''
            $state = 'subcommand'
            foreach ($word in ($words | Select-Object -Skip 1)) {
                if ($state -ceq 'subcommand') {
                    if (-not $word.StartsWith('-')) { $state = 'kind' }
                }
                elseif ($state -ceq 'value') {
                    $state = 'kind'
                }
                elseif ($valued -ccontains $word) {
                    $state = 'value'
                }
                elseif (-not $word.StartsWith('-')) {
                    $kind = $word
                    break
                }
            }
            if ($previous -ceq '--sso-session') {
                @(& __AWSENV_CORE__ __complete sso-sessions $wordToComplete 2>$null)
            }
            elseif ($previous -ceq '--sso-region' -or $previous -ceq '--region') {
                $regions
            }
            elseif ($previous -ceq '--output') {
                @('json', 'text', 'table', 'yaml', 'yaml-stream')
            }
            elseif ($previous -ceq '--source-profile') {
                @(& __AWSENV_CORE__ __complete profiles $wordToComplete 2>$null)
            }
            elseif ($valued -ccontains $previous) {
                @()
            }
            elseif (-not $wordToComplete.StartsWith('-')) {
                if ($kind -ceq '') { @('sso', 'sso-session', 'okta', 'role') } else { @() }
            }
            else {
                switch -CaseSensitive ($kind) {
                    'sso' {
                        @('--sso-session', '--start-url', '--sso-region', '--scopes', '--account',
                            '--role', '--output', '--device-code', '--no-browser', '--region',
                            '--profile', '--yes', '-h', '--help', '--debug')
                    }
                    'sso-session' {
                        @('--sso-session', '--start-url', '--sso-region', '--scopes', '--yes', '-h',
                            '--help', '--debug')
                    }
                    'okta' {
                        @('--org-domain', '--org-url', '--oidc-client-id', '--aws-acct-fed-app-id',
                            '--aws-iam-idp', '--aws-iam-role', '--all-roles', '--device-code',
                            '--no-browser', '--region', '--profile', '--yes', '-h', '--help',
                            '--debug')
                    }
                    'role' {
                        @('--source-profile', '--role-arn', '--mfa-serial', '--mfa-code',
                            '--external-id', '--role-session-name', '--duration-seconds', '--force',
                            '--region', '--profile', '--yes', '-h', '--help', '--debug')
                    }
                    default {
                        # no kind yet (or an unknown one): its flags are not known
                        @('-h', '--help', '--debug')
                    }
                }
            }
        }
        'keys' {
            # keys ACTION [PROFILE]
            if ($wordToComplete.StartsWith('-')) {
                @('-h', '--help', '--debug')
            }
            elseif ($previous -ceq 'keys') {
                @('add', 'import', 'list', 'rm')
            }
            elseif (@('add', 'import', 'rm') -ccontains $previous) {
                @(& __AWSENV_CORE__ __complete profiles $wordToComplete 2>$null)
            }
            else {
                @()
            }
        }
        'init' {
            if ($wordToComplete.StartsWith('-')) {
                @('--no-prompt', '--no-auto-refresh', '--no-completion', '--write', '-h', '--help',
                    '--debug')
            }
            else {
                $shells
            }
        }
        'completion' {
            if ($wordToComplete.StartsWith('-')) { @('-h', '--help', '--debug') } else { $shells }
        }
        'credential-process' {
            if ($previous -ceq '--role') {
                @()
            }
            elseif ($wordToComplete.StartsWith('-')) {
                @('--role', '--no-browser', '-h', '--help', '--debug')
            }
            else {
                @(& __AWSENV_CORE__ __complete profiles $wordToComplete 2>$null)
            }
        }
        { $_ -ceq 'whoami' -or $_ -ceq 'list' } {
            @('--json', '-h', '--help', '--debug')
        }
        'status' {
            @('--json', '--identity', '-h', '--help', '--debug')
        }
        'explain' {
            if ($wordToComplete.StartsWith('-')) {
                @('--json', '-h', '--help', '--debug')
            }
            else {
                @(& __AWSENV_CORE__ __complete profiles $wordToComplete 2>$null)
            }
        }
        'doctor' {
            @('--json', '--fix', '-h', '--help', '--debug')
        }
        'demo' {
            if ($previous -ceq '--shell') {
                $shells
            }
            else {
                @('--shell', '-h', '--help', '--debug')
            }
        }
        default {
            @('-h', '--help', '--debug')
        }
    }

    foreach ($candidate in $candidates) {
        if ([string]::IsNullOrEmpty($candidate) -or -not $candidate.StartsWith($wordToComplete)) {
            continue
        }
        $text = $candidate
        if ($candidate -notmatch '^[A-Za-z0-9_.@:/+=,-]+\z') {
            # PowerShell ends a single-quoted string at any of five quote characters.
            $text = "'" + ($candidate -replace "['\u2018\u2019\u201A\u201B]", '$0$0') + "'"
        }
        [System.Management.Automation.CompletionResult]::new(
            $text, $candidate, 'ParameterValue', $candidate)
    }
}

# =============================================================================
#
# To use it on its own (`awsenv init powershell` includes it), add this to your $PROFILE:
#
# awsenv completion powershell | Out-String | Invoke-Expression
