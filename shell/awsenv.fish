# =============================================================================
#
# awsenv: fish integration.
#
# `awsenv init fish` prints this file with its four bare-word tokens replaced
# (awsenv/shells.py, init_script; CONTRIBUTING.md, "Shell files"): the quoted command
# that runs the core (the interpreter, its flags and awsenv's __main__.py, all by
# absolute path: never a `python` found through PATH, so pyenv shims cannot pick
# another one); 1 or 0 for the prompt segment (0 with --no-prompt: the prompt is then
# never touched); 1 or 0 for the automatic renewal at the prompt (0 with
# --no-auto-refresh; with --no-prompt it still runs, from its own fish_prompt event handler);
# and the quoted path of the clock file the prompt reads the time from (see below; the other
# shells have a clock builtin). Bare words keep this file,
# as committed, parseable, so the linters check it as it is.
#

# =============================================================================
#
# The `awsenv` function: the only way the Python core can change this shell.
#

# The core cannot export into its parent, so for the subcommands that change the
# environment it prints fish code on stdout and we source it (direnv's protocol).
# stdout is captured only for those: `list` keeps its colours and `login` its
# prompts, and stderr is never captured because it carries errors and progress.
function awsenv --description 'Switch this shell between AWS profiles'
    set -l __awsenv_command $argv[1]
    # `awsenv --debug use prod`: the command follows the global option.
    if test "$argv[1]" = --debug
        set __awsenv_command $argv[2]
    end
    switch "$__awsenv_command"
        case use unset region refresh logout
            # `set` keeps the status of the command substitution.
            set -l __awsenv_out (AWSENV_SHELL=fish command __AWSENV_CORE__ $argv)
            set -l __awsenv_status $status
            if test $__awsenv_status -eq 0; and set -q __awsenv_out[1]
                # The command substitution split the output into lines; the core
                # writes one statement per line, so joining them back is exact.
                # (fish cannot ignore SIGINT for a moment the way bash's `trap ''`
                # does; the few `set -gx` lines take microseconds.)
                string join \n -- $__awsenv_out | source
            end
            return $__awsenv_status
        case '*'
            AWSENV_SHELL=fish command __AWSENV_CORE__ $argv
    end
end

# =============================================================================
#
# Prompt segment: `aws:NAME 1h05m ` in front of the user's own prompt.
#
# This runs before every prompt, so it must start no process at all: only
# builtins and functions (fish runs command substitutions of those in-process),
# no `date` and no Python (tests/shells/test_no_fork.py counts forks under strace).
#
# starship users: starship's own `aws` module reads AWS_PROFILE and
# AWS_CREDENTIAL_EXPIRATION, so init with `--no-prompt` and let starship draw it.
# Renewal then still runs (its handler below), and fish_prompt is never touched.
#

# fish has no clock variable, but `path mtime --relative FILE` (fish >= 3.5)
# prints now minus the file's mtime, a builtin that forks nothing. `awsenv init`
# created this file with mtime 0, so it prints the current epoch seconds.
set -g __awsenv_clock __AWSENV_CLOCK__

function __awsenv_prompt_segment --description 'Print the awsenv prompt segment'
    set -q AWSENV_PROFILE[1]; or return 0
    test -n "$AWSENV_PROFILE"; or return 0

    # A profile name is any string: control characters (ESC, newline, C1) would
    # repaint the terminal, so they become `?`. So does each byte that is not
    # UTF-8: fish holds byte 0xHH as U+F6HH, and prints it back as the raw byte
    # (0x9b alone is the 8-bit CSI).
    set -l name (string replace -ra -- '[\x00-\x1f\x7f-\x9f\x{2028}\x{2029}\x{f680}-\x{f6ff}]' '?' "$AWSENV_PROFILE")
    set -l left
    set -l color 32

    # Two clocks (as in the bash hook): AWSENV_EXPIRATION is when the exports
    # stop working, AWSENV_RENEWABLE until when `awsenv refresh` renews them
    # silently (`always`: a source that never expires; `session`: an Identity
    # Center session whose end is not known). While the session can renew, its
    # time counts (with `session`, the exports' own until they expire), and
    # expired exports show a mark.
    # Only digits are used; anything else means "no expiration known". A missing
    # clock file means the same (the segment then shows the profile only).
    set -l mark
    set -l now (path mtime --relative -- $__awsenv_clock 2>/dev/null)
    if string match -qr -- '^[0-9]+$' "$now"
        set -l clock
        if string match -qr -- '^[0-9]{1,15}\z' "$AWSENV_EXPIRATION"
            set clock $AWSENV_EXPIRATION
        end
        set -l renew 0
        if test "$AWSENV_RENEWABLE" = always; or test "$AWSENV_RENEWABLE" = session
            set renew 1
        else if string match -qr -- '^[0-9]{1,15}\z' "$AWSENV_RENEWABLE"
            and test $AWSENV_RENEWABLE -gt $now
            set renew 1
        end
        if test $renew = 1
            if set -q clock[1]; and test $clock -le $now
                set mark '↻'
                set color 33
            end
            if set -q mark[1]; or test "$AWSENV_RENEWABLE" != session
                set clock $AWSENV_RENEWABLE
            end
        end
        # Digits only: `always` and `session` show no time.
        if set -q clock[1]; and string match -qr -- '^[0-9]+\z' "$clock"
            set -l rem (math -s0 "$clock - $now")
            if test $rem -le 0
                set left expired
                set color 31
            else if test $rem -lt 60
                set left {$rem}s
            else if test $rem -lt 3600
                set left (math -s0 "floor($rem / 60)")m
            else if test $rem -lt 86400
                set left (math -s0 "floor($rem / 3600)")h(printf '%02d' (math -s0 "floor($rem % 3600 / 60)"))m
            else
                set left (math -s0 "floor($rem / 86400)")d(printf '%02d' (math -s0 "floor($rem % 86400 / 3600)"))h
            end
            if test $rem -gt 0 -a $rem -le 900
                set color 33
            end
        end
    end

    set -l text "aws:$name"
    # `(exec)`: a shell that `awsenv exec PROFILE` started (exit leaves it).
    if set -q AWSENV_EXEC[1]; and test -n "$AWSENV_EXEC"
        set text "$text"'(exec)'
    end
    if set -q mark[1]
        set text "$text $mark"
    end
    if set -q left[1]
        set text "$text $left"
    end
    # printf with a literal SGR, not set_color: the output is then the same on
    # every terminal and TERM, and fish measures the prompt width without it.
    if set -q NO_COLOR[1]; and test -n "$NO_COLOR"
        printf '%s ' "$text"
    else
        printf '\e[%sm%s\e[0m ' $color "$text"
    end
end

# The user's prompt is copied to __awsenv_user_fish_prompt and called from ours,
# as virtualenv's activate.fish does. It is called first and captured, so that
# it sees the real $status and $pipestatus of the user's last command.
function __awsenv_fish_prompt --description 'awsenv: the user prompt, with the awsenv segment in front'
    set -l __awsenv_user (__awsenv_user_fish_prompt)
    __awsenv_prompt_segment
    string join \n -- $__awsenv_user
end

function __awsenv_wrap_prompt --description 'awsenv: put the segment in front of fish_prompt'
    # Already ours: nothing to do (this also makes sourcing the init twice harmless).
    if functions -q fish_prompt
        and string match -q -- '*__awsenv_user_fish_prompt*' (functions fish_prompt)
        return 0
    end
    functions -e __awsenv_user_fish_prompt
    if functions -q fish_prompt
        functions -c fish_prompt __awsenv_user_fish_prompt
    else
        function __awsenv_user_fish_prompt
        end
    end
    functions -e fish_prompt
    functions -c __awsenv_fish_prompt fish_prompt
end

# Automatic renewal (as in the bash hook). Exported keys (not a profile: the SDKs
# renew that themselves) that renew with no browser and no prompt (AWSENV_RENEWABLE
# `always`, `session`, or an end still ahead) and are within 5 minutes of their end:
# run the core once, in the mode that never starts a browser, a prompt or a picker,
# and source what it prints. It prints nothing and exits non-zero when renewing needs
# the user; the prompt then keeps its mark and the next `awsenv refresh` signs in.
# Each start, success or not, holds off the next for 60 s: a failure is tried once a
# minute at most, never in a loop. stderr goes nowhere. The fish_prompt event fires
# before the prompt is drawn, and fish gives the prompt the user's $status back after
# an event handler, so the segment sees the new clock and the user's prompt its status.
set -g __awsenv_auto_next 0

function __awsenv_auto_refresh --description 'awsenv: renew due exported keys before the prompt'
    test "$AWSENV_AUTO_REFRESH" = 0; and return 0
    set -q AWSENV_PROFILE[1]; and test -n "$AWSENV_PROFILE"; or return 0
    set -q AWS_ACCESS_KEY_ID[1]; and test -n "$AWS_ACCESS_KEY_ID"; or return 0
    string match -qr -- '^[0-9]{1,15}\z' "$AWSENV_EXPIRATION"; or return 0
    set -l now (path mtime --relative -- $__awsenv_clock 2>/dev/null)
    string match -qr -- '^[0-9]+\z' "$now"; or return 0
    test (math -s0 "$AWSENV_EXPIRATION - $now") -le 300; or return 0
    string match -qr -- '^[0-9]{1,15}\z' "$__awsenv_auto_next"; and test $now -lt $__awsenv_auto_next; and return 0
    if test "$AWSENV_RENEWABLE" != always; and test "$AWSENV_RENEWABLE" != session
        string match -qr -- '^[0-9]{1,15}\z' "$AWSENV_RENEWABLE"; or return 0
        test $AWSENV_RENEWABLE -gt $now; or return 0
    end
    set -g __awsenv_auto_next (math -s0 "$now + 60")
    set -l __awsenv_out (AWSENV_SHELL=fish command __AWSENV_CORE__ refresh --auto 2>/dev/null)
    if test $status -eq 0; and set -q __awsenv_out[1]
        string join \n -- $__awsenv_out | source
    end
    return 0
end

# 0 with --no-auto-refresh. The one renewal hook, with or without the segment: it is its
# own fish_prompt event handler, so under --no-prompt fish_prompt (the user's, starship's,
# a theme's) stays exactly as it was.
if test __AWSENV_AUTO__ = 1
    function __awsenv_auto_refresh_hook --on-event fish_prompt
        __awsenv_auto_refresh
    end
end

if test __AWSENV_PROMPT__ = 1
    __awsenv_wrap_prompt
    # A theme or config.fish may define fish_prompt after this file ran. The
    # fish_prompt event fires before every render, so wrap the new one then.
    function __awsenv_rewrap_prompt --on-event fish_prompt
        __awsenv_wrap_prompt
    end
end

# =============================================================================
#
# To use awsenv, add this to your ~/.config/fish/config.fish:
#
# awsenv init fish | source
