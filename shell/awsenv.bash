# shellcheck shell=bash

# =============================================================================
#
# awsenv: bash integration.
#
# `awsenv init bash` prints this file with its three bare-word tokens replaced
# (awsenv/shells.py, init_script; CONTRIBUTING.md, "Shell files"): the quoted command
# that runs the core (the interpreter, its flags and awsenv's __main__.py, all by
# absolute path: never a `python` found through PATH, so pyenv shims cannot pick
# another one); 1 or 0 for the prompt segment (0 with --no-prompt: the prompt is
# then never touched); and 1 or 0 for the automatic renewal at the prompt (0 with
# --no-auto-refresh; with --no-prompt it runs from a hook of its own). Bare words
# keep this file, as committed, parseable, so the linters check it as it is.
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
    \builtin local __awsenv_out __awsenv_status=0 __awsenv_command="${1-}"
    # `awsenv --debug use prod`: the command follows the global option.
    if [[ "${__awsenv_command}" == --debug ]]; then
        __awsenv_command="${2-}"
    fi
    case "${__awsenv_command}" in
        use | unset | region | refresh | logout)
            # `|| status=$?` keeps a failing core from ending a `set -e` shell.
            __awsenv_out="$(AWSENV_SHELL=bash \command __AWSENV_CORE__ "$@")" ||
                __awsenv_status="$?"
            if [[ "${__awsenv_status}" -eq 0 && -n "${__awsenv_out}" ]]; then
                __awsenv_eval "${__awsenv_out}"
            fi
            \builtin return "${__awsenv_status}"
            ;;
        *)
            AWSENV_SHELL=bash \command __AWSENV_CORE__ "$@"
            ;;
    esac
}

# A Ctrl-C in the middle of the eval would leave half a profile exported (keys
# from one account, region from another), so SIGINT is ignored for the few
# microseconds it takes, as direnv does. The user's own INT trap is put back.
function __awsenv_eval() {
    \builtin local __awsenv_trap
    __awsenv_trap="$(\builtin trap -p INT)"
    \builtin trap -- '' INT
    \builtin eval -- "$1"
    if [[ -n "${__awsenv_trap}" ]]; then
        \builtin eval -- "${__awsenv_trap}"
    else
        \builtin trap - INT
    fi
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
# Renewal then runs from a hook of its own, which never reads or sets PS1.
#

# Set by the hook and read by PS1; global on purpose.
__awsenv_segment=''
# 1: renew due keys at the prompt (0 with --no-auto-refresh).
__awsenv_auto=__AWSENV_AUTO__
# The earliest time (epoch seconds) the prompt may start the core again.
__awsenv_auto_next=0

# Automatic renewal. Exported keys (not a profile: the SDKs renew that themselves)
# that renew with no browser and no prompt (AWSENV_RENEWABLE `always`, `session`,
# or an end still ahead) and are within 5 minutes of their end: run the core once,
# in the mode that never starts a browser, a prompt or a picker, and eval what it
# prints. It prints nothing and exits non-zero when renewing needs the user; the
# prompt then keeps its mark and the next `awsenv refresh` signs in. Each start,
# success or not, holds off the next for 60 s: a failure is tried once a minute at
# most, never in a loop. stderr goes nowhere: the mark is the signal.
# Called with the current time; every test before the core is a builtin. Both
# hooks call it: the prompt hook, and __awsenv_auto_hook under --no-prompt.
function __awsenv_auto_refresh() {
    \builtin local now="$1" expiration="${AWSENV_EXPIRATION-}"
    \builtin local renewable="${AWSENV_RENEWABLE-}" __awsenv_out='' __awsenv_status=0
    if [[ "${AWSENV_AUTO_REFRESH-}" == 0 || -z "${AWSENV_PROFILE-}" ||
        -z "${AWS_ACCESS_KEY_ID-}" ]]; then
        \builtin return 0
    fi
    # Only digits reach arithmetic (see the segment below).
    if [[ -z "${expiration}" || "${expiration}" == *[!0-9]* || "${#expiration}" -gt 18 ||
        "${__awsenv_auto_next}" == *[!0-9]* || "${#__awsenv_auto_next}" -gt 18 ]]; then
        \builtin return 0
    fi
    if ((10#${expiration} - now > 300 || now < 10#${__awsenv_auto_next})); then
        \builtin return 0
    fi
    # `[`, not `[[`: a user's `shopt -s nocasematch` must not make ALWAYS match.
    # shellcheck disable=SC2292
    if [ "${renewable}" != always ] && [ "${renewable}" != session ]; then
        if [[ -z "${renewable}" || "${renewable}" == *[!0-9]* || "${#renewable}" -gt 18 ]]; then
            \builtin return 0
        fi
        if ((10#${renewable} <= now)); then
            \builtin return 0
        fi
    fi
    __awsenv_auto_next=$((now + 60))
    __awsenv_out="$(AWSENV_SHELL=bash \command __AWSENV_CORE__ refresh --auto 2>/dev/null)" ||
        __awsenv_status="$?"
    if [[ "${__awsenv_status}" -eq 0 && -n "${__awsenv_out}" ]]; then
        __awsenv_eval "${__awsenv_out}"
    fi
    \builtin return 0
}

# Set the caller's local `now` to the current time in epoch seconds, with no fork
# (left empty by bash before 4.2, which has no clock builtin).
function __awsenv_now() {
    if [[ "${EPOCHSECONDS-}" == [0-9]* ]]; then
        # bash >= 5.0
        now="${EPOCHSECONDS}"
    elif ((BASH_VERSINFO[0] > 4 || (BASH_VERSINFO[0] == 4 && BASH_VERSINFO[1] >= 2))); then
        # bash 4.2 to 4.4: strftime through the printf builtin, no fork.
        \builtin printf -v now '%(%s)T' -1
    fi
}

# The hook of `init --no-prompt`: renewal alone, exactly as the prompt hook does
# it, and PS1 is never read or set (a prompt of the user's own, starship's or a
# theme's, stays byte for byte what it was). With no keys exported it is one test.
function __awsenv_auto_hook() {
    # Later PROMPT_COMMAND entries and the user's PS1 may show `$?`: hand it back.
    \builtin local __awsenv_rc="$?" now=''
    if [[ "${__awsenv_auto}" == 1 && -n "${AWS_ACCESS_KEY_ID-}" ]]; then
        __awsenv_now
        if [[ -n "${now}" ]]; then
            __awsenv_auto_refresh "${now}"
        fi
    fi
    \builtin return "${__awsenv_rc}"
}

function __awsenv_prompt_hook() {
    # The user's PS1 and later PROMPT_COMMAND entries may show `$?`: hand it back.
    \builtin local __awsenv_rc="$?"
    \builtin local name='' expiration='' renewable=''
    \builtin local now='' rem='' left='' color='32' mm='' mark='' clock='' renew=0

    __awsenv_now
    # The cheap test here: with no keys exported the hook costs no function call more.
    if [[ "${__awsenv_auto}" == 1 && -n "${AWS_ACCESS_KEY_ID-}" && -n "${now}" ]]; then
        __awsenv_auto_refresh "${now}"
    fi

    name="${AWSENV_PROFILE-}"
    expiration="${AWSENV_EXPIRATION-}"
    renewable="${AWSENV_RENEWABLE-}"
    __awsenv_segment=''
    if [[ -n "${name}" ]]; then
        # A profile name is any string. Control characters (ESC, newline, the
        # 8-bit CSI 0x9b) would repaint the terminal, so everything that is not a
        # printable character becomes `?`: [[:cntrl:]] would miss a byte that is
        # not valid in the locale (a lone 0x9b in UTF-8). The name itself is never
        # pasted into PS1: PS1 holds the literal `${__awsenv_segment}`, and bash
        # does not re-expand the result of an expansion, so `$(...)` or
        # backticks in a name stay text.
        name="${name//[![:print:]]/?}"

        # Two clocks. AWSENV_EXPIRATION is when what this shell exports stops
        # working; AWSENV_RENEWABLE (when set) is until when `awsenv refresh` can
        # renew it with no browser and no prompt (`always` for a role whose
        # source never expires, `session` for an Identity Center session whose
        # end is not known). While the session can renew, its time is what
        # counts (with `session`, the exports' own until they expire), and
        # expired exports show a mark instead of `expired`.
        # Only digits reach arithmetic: `$(( x ))` with x='a[$(cmd)]' would run cmd.
        # At most eighteen digits also keeps the value inside 64-bit arithmetic.
        if [[ -n "${expiration}" && "${expiration}" != *[!0-9]* && "${#expiration}" -le 18 ]]; then
            clock="${expiration}"
        fi
        # `[`, not `[[`: a user's `shopt -s nocasematch` must not make ALWAYS match.
        # shellcheck disable=SC2292
        if [ "${renewable}" = always ] || [ "${renewable}" = session ]; then
            renew=1
        elif [[ -n "${renewable}" && "${renewable}" != *[!0-9]* && "${#renewable}" -le 18 &&
            -n "${now}" ]]; then
            if ((10#${renewable} > now)); then
                renew=1
            fi
        fi
        if [[ -z "${now}" ]]; then
            clock=''
        elif ((renew)); then
            if [[ -n "${clock}" ]] && ((10#${clock} <= now)); then
                mark='↻'
                color='33'
            fi
            # shellcheck disable=SC2292
            if [[ -n "${mark}" ]] || [ "${renewable}" != session ]; then
                clock="${renewable}"
            fi
        fi

        # Digits only: `always` and `session` show no time.
        if [[ -n "${clock}" && "${clock}" != *[!0-9]* ]]; then
            # 10# because a leading zero would otherwise mean octal (and 08 an error).
            rem=$((10#${clock} - now))
            if ((rem <= 0)); then
                left='expired'
                color='31'
            elif ((rem < 60)); then
                left="${rem}s"
            elif ((rem < 3600)); then
                left="$((rem / 60))m"
            elif ((rem < 86400)); then
                \builtin printf -v mm '%02d' "$((rem % 3600 / 60))"
                left="$((rem / 3600))h${mm}m"
            else
                \builtin printf -v mm '%02d' "$((rem % 86400 / 3600))"
                left="$((rem / 86400))d${mm}h"
            fi
            if ((rem > 0 && rem <= 900)); then
                color='33'
            fi
        fi

        # `(exec)`: a shell that `awsenv exec PROFILE` started (exit leaves it).
        __awsenv_segment="aws:${name}${AWSENV_EXEC:+(exec)}${mark:+ ${mark}}${left:+ ${left}}"
        if [[ -z "${NO_COLOR-}" ]]; then
            # \001 and \002 are what `\[` and `\]` become: they tell readline that
            # the escape sequence takes no columns, so long lines wrap correctly.
            __awsenv_segment=$'\001\e['"${color}"$'m\002'"${__awsenv_segment}"$'\001\e[0m\002'
        fi
        __awsenv_segment+=' '
    fi

    # Wrap, never replace: if the user (or a theme) set PS1 after init, put the
    # reference back in front of their prompt. The single quotes are the point.
    # (With `shopt -u promptvars` bash would show the reference literally; that
    # option is rare enough that it is not worth a second code path.)
    # shellcheck disable=SC2016
    if [[ "${PS1-}" != *'${__awsenv_segment}'* ]]; then
        PS1='${__awsenv_segment}'"${PS1-}"
    fi

    \builtin return "${__awsenv_rc}"
}

# Run the hook (its name is $1) last among PROMPT_COMMAND entries, so that a
# theme which rebuilds PS1 in its own PROMPT_COMMAND gets wrapped after it did
# so. Registration is idempotent (sourcing the rc file twice adds nothing) and
# keeps every existing entry, in the array form of bash >= 5.1 as in the string form.
function __awsenv_register_prompt() {
    if [[ "${PROMPT_COMMAND[*]-}" == *"$1"* ]]; then
        \builtin return 0
    fi
    if ((BASH_VERSINFO[0] > 5 || (BASH_VERSINFO[0] == 5 && BASH_VERSINFO[1] >= 1))) &&
        [[ -n "${PROMPT_COMMAND+set}" && "${PROMPT_COMMAND@a}" == *a* ]]; then
        PROMPT_COMMAND+=("$1")
    elif [[ -n "${PROMPT_COMMAND-}" ]]; then
        # A newline, not `;`: the existing value may end in `;`, `&` or a newline.
        PROMPT_COMMAND="${PROMPT_COMMAND}"$'\n'"$1"
    else
        PROMPT_COMMAND="$1"
    fi
}

__awsenv_prompt=__AWSENV_PROMPT__
if [[ "${__awsenv_prompt}" == 1 ]]; then
    __awsenv_register_prompt __awsenv_prompt_hook
    __awsenv_prompt_hook
elif [[ "${__awsenv_auto}" == 1 ]]; then
    # --no-prompt: renewal still runs before each prompt; the prompt is not touched.
    __awsenv_register_prompt __awsenv_auto_hook
fi
\builtin unset __awsenv_prompt

# =============================================================================
#
# To use awsenv, add this to your ~/.bashrc:
#
# eval "$(awsenv init bash)"
