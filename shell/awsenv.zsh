# =============================================================================
#
# awsenv: zsh integration.
#
# `awsenv init zsh` prints this file with its three bare-word tokens replaced
# (awsenv/shells.py, init_script; CONTRIBUTING.md, "Shell files"): the quoted command
# that runs the core (the interpreter, its flags and awsenv's __main__.py, all by
# absolute path: never a `python` found through PATH, so pyenv shims cannot pick
# another one); 1 or 0 for the prompt segment (0 with --no-prompt: the prompt is
# then never touched); and 1 or 0 for the automatic renewal at the prompt (0 with
# --no-auto-refresh; with --no-prompt it runs from a precmd hook of its own). Bare
# words keep this file, as committed, parseable, so the linters check it as it is.
#
# Every function starts with `emulate -L zsh`: the user's options (KSH_ARRAYS,
# SH_WORD_SPLIT, RC_QUOTES, NO_UNSET, ...) then cannot change what this code
# means, and LOCAL_TRAPS scopes the SIGINT trap below to the function.
#

# =============================================================================
#
# The `awsenv` function: the only way the Python core can change this shell.
#

# The core cannot export into its parent, so for the subcommands that change the
# environment it prints shell code on stdout and we eval it (direnv's protocol).
# stdout is captured only for those: `list` keeps its colours and `login` its
# prompts, and stderr is never captured because it carries errors and progress.
function awsenv() {
    \builtin emulate -L zsh
    \builtin local __awsenv_out __awsenv_status=0 __awsenv_command="${1-}"
    # `awsenv --debug use prod`: the command follows the global option.
    if [[ "${__awsenv_command}" == --debug ]]; then
        __awsenv_command="${2-}"
    fi
    case "${__awsenv_command}" in
        use | unset | region | refresh | logout)
            __awsenv_out="$(AWSENV_SHELL=zsh \command __AWSENV_CORE__ "$@")" ||
                __awsenv_status="$?"
            if [[ "${__awsenv_status}" -eq 0 && -n "${__awsenv_out}" ]]; then
                # A Ctrl-C in the middle would leave half a profile exported, so
                # SIGINT is ignored during the eval (direnv). LOCAL_TRAPS, set by
                # `emulate -L`, restores the user's trap when the function returns.
                \builtin trap '' INT
                \builtin eval -- "${__awsenv_out}"
            fi
            \builtin return "${__awsenv_status}"
            ;;
        *)
            AWSENV_SHELL=zsh \command __AWSENV_CORE__ "$@"
            ;;
    esac
}

# =============================================================================
#
# Prompt segment: `aws:NAME 1h05m ` in front of the user's own prompt.
#
# This runs before every prompt, so it must start no process at all: no `date`,
# no command substitution, no Python. Everything below is a builtin or an
# expansion (tests/shells/test_no_fork.py counts forks under strace).
#
# starship users: starship's own `aws` module reads AWS_PROFILE and
# AWS_CREDENTIAL_EXPIRATION, so init with `--no-prompt` and let starship draw it.
# Renewal then runs from a hook of its own, which never touches PROMPT.
#

# The %-escaped segment, and the exact prefix last put in front of PROMPT (so it
# can be taken off again before the next render).
typeset -g __awsenv_segment=''
typeset -g __awsenv_prefix=''
# 1: renew due keys at the prompt (0 with --no-auto-refresh).
typeset -g __awsenv_auto=__AWSENV_AUTO__
# The earliest time (epoch seconds) the prompt may start the core again.
typeset -g __awsenv_auto_next=0

# Automatic renewal (as in the bash hook). Exported keys (not a profile: the SDKs
# renew that themselves) that renew with no browser and no prompt (AWSENV_RENEWABLE
# `always`, `session`, or an end still ahead) and are within 5 minutes of their
# end: run the core once, in the mode that never starts a browser, a prompt or a
# picker, and eval what it prints. It prints nothing and exits non-zero when
# renewing needs the user; the prompt then keeps its mark and the next `awsenv
# refresh` signs in. Each start, success or not, holds off the next for 60 s: a
# failure is tried once a minute at most, never in a loop. stderr goes nowhere.
# Both hooks call it: __awsenv_precmd, and __awsenv_auto_precmd under --no-prompt.
function __awsenv_auto_refresh() {
    \builtin emulate -L zsh
    \builtin local now="$1" expiration="${AWSENV_EXPIRATION-}"
    \builtin local renewable="${AWSENV_RENEWABLE-}" __awsenv_out='' __awsenv_status=0
    if [[ "${AWSENV_AUTO_REFRESH-}" == 0 || -z "${AWSENV_PROFILE-}" ||
        -z "${AWS_ACCESS_KEY_ID-}" ]]; then
        return 0
    fi
    # Only digits reach arithmetic (see the segment below).
    if [[ -z "${expiration}" || "${expiration}" == *[^0-9]* || "${#expiration}" -gt 18 ||
        "${__awsenv_auto_next}" == *[^0-9]* || "${#__awsenv_auto_next}" -gt 18 ]]; then
        return 0
    fi
    if ((10#${expiration} - now > 300 || now < 10#${__awsenv_auto_next})); then
        return 0
    fi
    if [[ "${renewable}" != always && "${renewable}" != session ]]; then
        if [[ -z "${renewable}" || "${renewable}" == *[^0-9]* || "${#renewable}" -gt 18 ]]; then
            return 0
        fi
        if ((10#${renewable} <= now)); then
            return 0
        fi
    fi
    __awsenv_auto_next=$((now + 60))
    __awsenv_out="$(AWSENV_SHELL=zsh \command __AWSENV_CORE__ refresh --auto 2>/dev/null)" ||
        __awsenv_status="$?"
    if [[ "${__awsenv_status}" -eq 0 && -n "${__awsenv_out}" ]]; then
        # SIGINT ignored during the eval, as in `awsenv`; LOCAL_TRAPS restores it.
        \builtin trap '' INT
        \builtin eval -- "${__awsenv_out}"
    fi
    return 0
}

# The hook of `init --no-prompt`: renewal alone, exactly as __awsenv_precmd does
# it, and PROMPT, RPROMPT and the prompt options are never read or set (a prompt
# of the user's own, starship's or powerlevel10k's stays byte for byte what it
# was). With no keys exported it is one test.
function __awsenv_auto_precmd() {
    # Later precmd hooks and the prompt may show `$?`: hand it back.
    \builtin local __awsenv_rc="$?"
    \builtin emulate -L zsh
    if [[ "${__awsenv_auto}" == 1 && -n "${AWS_ACCESS_KEY_ID-}" ]] && ((${+EPOCHSECONDS})); then
        __awsenv_auto_refresh "${EPOCHSECONDS}"
    fi
    \builtin return "${__awsenv_rc}"
}

function __awsenv_precmd() {
    # Read the user's prompt options before `emulate` hides them.
    \builtin local __awsenv_rc="$?" __awsenv_subst=0 __awsenv_bang=0
    [[ -o promptsubst ]] && __awsenv_subst=1
    [[ -o promptbang ]] && __awsenv_bang=1
    \builtin emulate -L zsh
    \builtin local name='' expiration='' renewable='' now='' clock='' mark='' renew=0
    \builtin local rem='' left='' color='32' prefix=''

    # The cheap test here: with no keys exported the hook costs no function call more.
    if [[ "${__awsenv_auto}" == 1 && -n "${AWS_ACCESS_KEY_ID-}" ]] && ((${+EPOCHSECONDS})); then
        __awsenv_auto_refresh "${EPOCHSECONDS}"
    fi
    name="${AWSENV_PROFILE-}"
    expiration="${AWSENV_EXPIRATION-}"
    renewable="${AWSENV_RENEWABLE-}"
    __awsenv_segment=''
    if [[ -n "${name}" ]]; then
        # A profile name is any string: whatever is not a printable character
        # (ESC, newline, C1, and a byte not valid in the locale, which
        # [[:cntrl:]] misses: a lone 0x9b, the 8-bit CSI) becomes `?`, and `%`
        # (and `!` under PROMPT_BANG) are doubled so that prompt
        # expansion prints them instead of interpreting them.
        name="${name//[![:print:]]/?}"
        name="${name//\%/%%}"
        if ((__awsenv_bang)); then
            name="${name//\!/!!}"
        fi

        # Two clocks (as in the bash hook): AWSENV_EXPIRATION is when the exports
        # stop working, AWSENV_RENEWABLE until when `awsenv refresh` renews them
        # silently (`always`: a source that never expires; `session`: an Identity
        # Center session whose end is not known). While the session can renew,
        # its time counts (with `session`, the exports' own until they expire),
        # and expired exports show a mark.
        # Only digits reach arithmetic: `$(( x ))` with x='a[$(cmd)]' would run cmd.
        if ((${+EPOCHSECONDS})); then
            now="${EPOCHSECONDS}"
            if [[ -n "${expiration}" && "${expiration}" != *[^0-9]* && "${#expiration}" -le 18 ]]; then
                clock="${expiration}"
            fi
            if [[ "${renewable}" == always || "${renewable}" == session ]]; then
                renew=1
            elif [[ -n "${renewable}" && "${renewable}" != *[^0-9]* && "${#renewable}" -le 18 ]]; then
                if ((10#${renewable} > now)); then
                    renew=1
                fi
            fi
            if ((renew)); then
                if [[ -n "${clock}" ]] && ((10#${clock} <= now)); then
                    mark='↻'
                    color='33'
                fi
                if [[ -n "${mark}" || "${renewable}" != session ]]; then
                    clock="${renewable}"
                fi
            fi
        fi
        # Digits only: `always` and `session` show no time.
        if [[ -n "${clock}" && "${clock}" != *[^0-9]* ]]; then
            rem=$((10#${clock} - now))
            if ((rem <= 0)); then
                left='expired'
                color='31'
            elif ((rem < 60)); then
                left="${rem}s"
            elif ((rem < 3600)); then
                left="$((rem / 60))m"
            elif ((rem < 86400)); then
                left="$((rem / 3600))h${(l:2::0:)$((rem % 3600 / 60))}m"
            else
                left="$((rem / 86400))d${(l:2::0:)$((rem % 86400 / 3600))}h"
            fi
            if ((rem > 0 && rem <= 900)); then
                color='33'
            fi
        fi

        # `(exec)`: a shell that `awsenv exec PROFILE` started (exit leaves it).
        __awsenv_segment="aws:${name}${AWSENV_EXEC:+(exec)}${mark:+ ${mark}}${left:+ ${left}}"
        if [[ -z "${NO_COLOR-}" ]]; then
            # %{...%}: the escape sequence takes no columns.
            __awsenv_segment="%{"$'\e['"${color}m%}${__awsenv_segment}%{"$'\e[0m'"%}"
        fi
        __awsenv_segment+=' '
    fi

    # Wrap, never replace: take off what we added last time (the user's prompt
    # may have been rebuilt since, then there is nothing to take off), then put
    # the new prefix in front.
    if [[ -n "${__awsenv_prefix}" && "${PROMPT}" == "${__awsenv_prefix}"* ]]; then
        PROMPT="${PROMPT#"${__awsenv_prefix}"}"
    fi
    if ((__awsenv_subst)); then
        # With PROMPT_SUBST, text in PROMPT is expanded again at every render, so a
        # name with `$(...)` must not be pasted in. The reference is expanded once
        # and zsh never re-expands its value (it only reads the %-escapes in it).
        prefix='${__awsenv_segment}'
    else
        prefix="${__awsenv_segment}"
    fi
    PROMPT="${prefix}${PROMPT}"
    __awsenv_prefix="${prefix}"

    \builtin return "${__awsenv_rc}"
}

if [[ __AWSENV_PROMPT__ == 1 || __AWSENV_AUTO__ == 1 ]]; then
    # EPOCHSECONDS without loading the rest of zsh/datetime; without it the
    # segment shows the profile and no time, and nothing renews.
    \builtin zmodload -F zsh/datetime p:EPOCHSECONDS 2>/dev/null
    \builtin autoload -Uz add-zsh-hook
    # add-zsh-hook appends and never adds twice: sourcing the rc file again is harmless.
    if [[ __AWSENV_PROMPT__ == 1 ]]; then
        add-zsh-hook precmd __awsenv_precmd
    else
        # --no-prompt: renewal still runs before each prompt; the prompt is not touched.
        add-zsh-hook precmd __awsenv_auto_precmd
    fi
fi

# =============================================================================
#
# To use awsenv, add this to your ~/.zshrc (after compinit, for completion):
#
# eval "$(awsenv init zsh)"
