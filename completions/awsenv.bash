# shellcheck shell=bash

# =============================================================================
#
# awsenv: bash completion.
#
# Loaded by `awsenv init bash` (after the integration) or on its own with
# `eval "$(awsenv completion bash)"`. The interpreter token is replaced with the
# quoted Python that runs awsenv.
#
# The static parts (subcommands, options, regions) are written out here, so most
# completions start no process; tests/shells/test_drift.py checks them against
# awsenv/clispec.py. Only profile and sso-session names ask the core
# (`__complete profiles`, `__complete sso-sessions`), which reads ~/.aws/config
# and nothing else.
#
# Candidates are data, never code: no `compgen -W` on profile or sso-session
# names (it expands `$(...)` in its word list) and no eval.
#

# Every region in clispec.REGIONS, for `use --region`, `exec --region`,
# `console --region` and `region`.
__awsenv_regions=(
    af-south-1 ap-east-1 ap-east-2 ap-northeast-1 ap-northeast-2 ap-northeast-3
    ap-south-1 ap-south-2 ap-southeast-1 ap-southeast-2 ap-southeast-3 ap-southeast-4
    ap-southeast-5 ap-southeast-7 ca-central-1 ca-west-1 cn-north-1 cn-northwest-1
    eu-central-1 eu-central-2 eu-north-1 eu-south-1 eu-south-2 eu-west-1 eu-west-2
    eu-west-3 il-central-1 me-central-1 me-south-1 mx-central-1 sa-east-1 us-east-1
    us-east-2 us-gov-east-1 us-gov-west-1 us-west-1 us-west-2
)

# Add each argument that starts with the word being completed ($1) to COMPREPLY.
function __awsenv_complete_words() {
    \builtin local prefix="$1" word
    \builtin shift
    for word in "$@"; do
        if [[ "${word}" == "${prefix}"* ]]; then
            COMPREPLY+=("${word}")
        fi
    done
}

# Profile names from the core, one per line (names with control characters are
# left out by the core, so a line is a name).
function __awsenv_complete_profiles() {
    \builtin local line
    while IFS= \builtin read -r line; do
        if [[ -n "${line}" && "${line}" == "$1"* ]]; then
            COMPREPLY+=("${line}")
        fi
    done < <(\command __AWSENV_CORE__ __complete profiles "$1" 2>/dev/null || :)
    # Let readline quote what it inserts (a name may hold spaces or quotes). The
    # price: a directory of the same name in the current directory gets a `/`.
    # compopt only works inside a completion, hence the silenced error.
    \builtin compopt -o filenames 2>/dev/null || :
}

# [sso-session] names from the core, one per line, as for profiles above.
function __awsenv_complete_sso_sessions() {
    \builtin local line
    while IFS= \builtin read -r line; do
        if [[ -n "${line}" && "${line}" == "$1"* ]]; then
            COMPREPLY+=("${line}")
        fi
    done < <(\command __AWSENV_CORE__ __complete sso-sessions "$1" 2>/dev/null || :)
    \builtin compopt -o filenames 2>/dev/null || :
}

function __awsenv_complete() {
    \builtin local cur="${COMP_WORDS[COMP_CWORD]-}" prev='' command='' i
    COMPREPLY=()
    if ((COMP_CWORD > 0)); then
        prev="${COMP_WORDS[COMP_CWORD - 1]-}"
    fi
    # The subcommand is the first word that is not an option (there are no global
    # options that take a value).
    for ((i = 1; i < COMP_CWORD; i++)); do
        case "${COMP_WORDS[i]-}" in
            -*) ;;
            *)
                command="${COMP_WORDS[i]}"
                break
                ;;
        esac
    done

    case "${command}" in
        '')
            if [[ "${cur}" == -* ]]; then
                __awsenv_complete_words "${cur}" -h --help --version --debug
            else
                __awsenv_complete_words "${cur}" use unset region refresh exec credential-process whoami login logout console sso configure keys list status explain doctor init completion demo
            fi
            ;;
        use)
            case "${prev}" in
                --region)
                    __awsenv_complete_words "${cur}" "${__awsenv_regions[@]}"
                    ;;
                --mfa-code | --role | --role-arn | --external-id | --session-name | --duration) ;;
                --source)
                    __awsenv_complete_profiles "${cur}"
                    ;;
                --saml-assertion)
                    # a file name: let readline complete (and quote) paths
                    \builtin compopt -o default 2>/dev/null || :
                    ;;
                *)
                    if [[ "${cur}" == -* ]]; then
                        __awsenv_complete_words "${cur}" --keys --region --device-code \
                            --no-browser --mfa-code --role --saml-assertion --write-credentials \
                            --force-login --role-arn --source --external-id --session-name \
                            --duration -h --help --debug
                    else
                        __awsenv_complete_profiles "${cur}"
                    fi
                    ;;
            esac
            ;;
        region)
            if [[ "${cur}" == -* ]]; then
                __awsenv_complete_words "${cur}" -h --help --debug
            else
                __awsenv_complete_words "${cur}" "${__awsenv_regions[@]}"
            fi
            ;;
        refresh)
            __awsenv_complete_words "${cur}" --device-code --no-browser --auto -h --help --debug
            ;;
        exec)
            # exec [options] PROFILE [-- COMMAND...]: the profile is the first word after
            # `exec` that is neither an option nor an option's value.
            \builtin local profile_at=0
            for ((i = i + 1; i < COMP_CWORD; i++)); do
                case "${COMP_WORDS[i]-}" in
                    --region | --mfa-code | --duration) ((i += 1)) ;;
                    -*) ;;
                    *)
                        profile_at="${i}"
                        break
                        ;;
                esac
            done
            if ((profile_at == 0)); then
                case "${prev}" in
                    --region)
                        __awsenv_complete_words "${cur}" "${__awsenv_regions[@]}"
                        ;;
                    --mfa-code | --duration) ;;
                    *)
                        if [[ "${cur}" == -* ]]; then
                            __awsenv_complete_words "${cur}" --region --mfa-code --duration \
                                --device-code --no-browser -h --help --debug
                        else
                            __awsenv_complete_profiles "${cur}"
                        fi
                        ;;
                esac
            elif ((COMP_CWORD == profile_at + 1)); then
                __awsenv_complete_words "${cur}" --
            else
                # The command after `--` is not awsenv's: leave it to readline's default
                # (file names, quoted by readline).
                \builtin compopt -o default 2>/dev/null || :
            fi
            ;;
        login)
            if [[ "${prev}" == --sso-session ]]; then
                __awsenv_complete_sso_sessions "${cur}"
            elif [[ "${cur}" == -* ]]; then
                __awsenv_complete_words "${cur}" --sso-session --device-code --no-browser \
                    --force -h --help --debug
            else
                __awsenv_complete_profiles "${cur}"
            fi
            ;;
        logout)
            if [[ "${prev}" == --sso-session ]]; then
                __awsenv_complete_sso_sessions "${cur}"
            elif [[ "${cur}" == -* ]]; then
                __awsenv_complete_words "${cur}" --sso-session --all -h --help --debug
            else
                __awsenv_complete_profiles "${cur}"
            fi
            ;;
        console)
            case "${prev}" in
                --region)
                    __awsenv_complete_words "${cur}" "${__awsenv_regions[@]}"
                    ;;
                --service | --mfa-code | --duration) ;;
                *)
                    if [[ "${cur}" == -* ]]; then
                        __awsenv_complete_words "${cur}" --print --service --region --mfa-code \
                            --duration --device-code --no-browser -h --help --debug
                    else
                        __awsenv_complete_profiles "${cur}"
                    fi
                    ;;
            esac
            ;;
        sso)
            if [[ "${prev}" == --sso-session ]]; then
                __awsenv_complete_sso_sessions "${cur}"
            elif [[ "${prev}" == --prefix ]]; then
                :
            elif [[ "${cur}" == -* ]]; then
                __awsenv_complete_words "${cur}" --sso-session --dry-run --prefix -h --help --debug
            else
                __awsenv_complete_words "${cur}" sync
            fi
            ;;
        configure)
            # configure KIND [--flag VALUE]...: the kind is the first word after `configure`
            # that is neither an option nor an option's value. Each kind takes only its own
            # flags (FLAGS in awsenv/commands/configure.py; another kind's is a usage error).
            \builtin local kind=''
            for ((i = i + 1; i < COMP_CWORD; i++)); do
                case "${COMP_WORDS[i]-}" in
                    --sso-session | --start-url | --sso-region | --scopes | --account | --role | \
                        --region | --output | --profile | --org-domain | --org-url | \
                        --oidc-client-id | --aws-acct-fed-app-id | --aws-iam-idp | \
                        --aws-iam-role | --source-profile | --role-arn | --mfa-serial | \
                        --mfa-code | --external-id | --role-session-name | --duration-seconds)
                        ((i += 1))
                        ;;
                    -*) ;;
                    *)
                        kind="${COMP_WORDS[i]}"
                        break
                        ;;
                esac
            done
            case "${prev}" in
                --sso-session)
                    __awsenv_complete_sso_sessions "${cur}"
                    ;;
                --sso-region | --region)
                    __awsenv_complete_words "${cur}" "${__awsenv_regions[@]}"
                    ;;
                --output)
                    __awsenv_complete_words "${cur}" json text table yaml yaml-stream
                    ;;
                --source-profile)
                    __awsenv_complete_profiles "${cur}"
                    ;;
                --start-url | --scopes | --account | --role | --profile | --org-domain | \
                    --org-url | --oidc-client-id | --aws-acct-fed-app-id | --aws-iam-idp | \
                    --aws-iam-role | --role-arn | --mfa-serial | --mfa-code | --external-id | \
                    --role-session-name | --duration-seconds) ;;
                *)
                    if [[ "${cur}" != -* ]]; then
                        if [[ -z "${kind}" ]]; then
                            __awsenv_complete_words "${cur}" sso sso-session okta role
                        fi
                    else
                        case "${kind}" in
                            sso)
                                __awsenv_complete_words "${cur}" --sso-session --start-url \
                                    --sso-region --scopes --account --role --output \
                                    --device-code --no-browser --region --profile --yes -h \
                                    --help --debug
                                ;;
                            sso-session)
                                __awsenv_complete_words "${cur}" --sso-session --start-url \
                                    --sso-region --scopes --yes -h --help --debug
                                ;;
                            okta)
                                __awsenv_complete_words "${cur}" --org-domain --org-url \
                                    --oidc-client-id --aws-acct-fed-app-id --aws-iam-idp \
                                    --aws-iam-role --all-roles --device-code --no-browser \
                                    --region --profile --yes -h --help --debug
                                ;;
                            role)
                                __awsenv_complete_words "${cur}" --source-profile --role-arn \
                                    --mfa-serial --mfa-code --external-id --role-session-name \
                                    --duration-seconds --force --region --profile --yes -h \
                                    --help --debug
                                ;;
                            *)
                                # no kind yet (or an unknown one): its flags are not known
                                __awsenv_complete_words "${cur}" -h --help --debug
                                ;;
                        esac
                    fi
                    ;;
            esac
            ;;
        keys)
            # keys ACTION [PROFILE]
            if [[ "${cur}" == -* ]]; then
                __awsenv_complete_words "${cur}" -h --help --debug
            elif [[ "${prev}" == keys ]]; then
                __awsenv_complete_words "${cur}" add import list rm
            elif [[ "${prev}" == add || "${prev}" == import || "${prev}" == rm ]]; then
                __awsenv_complete_profiles "${cur}"
            fi
            ;;
        init)
            if [[ "${cur}" == -* ]]; then
                __awsenv_complete_words "${cur}" --no-prompt --no-auto-refresh --no-completion \
                    --write -h --help --debug
            else
                __awsenv_complete_words "${cur}" bash zsh fish powershell
            fi
            ;;
        completion)
            if [[ "${cur}" == -* ]]; then
                __awsenv_complete_words "${cur}" -h --help --debug
            else
                __awsenv_complete_words "${cur}" bash zsh fish powershell
            fi
            ;;
        credential-process)
            if [[ "${prev}" == --role ]]; then
                :
            elif [[ "${cur}" == -* ]]; then
                __awsenv_complete_words "${cur}" --role --no-browser -h --help --debug
            else
                __awsenv_complete_profiles "${cur}"
            fi
            ;;
        whoami | list)
            __awsenv_complete_words "${cur}" --json -h --help --debug
            ;;
        status)
            __awsenv_complete_words "${cur}" --json --identity -h --help --debug
            ;;
        explain)
            if [[ "${cur}" == -* ]]; then
                __awsenv_complete_words "${cur}" --json -h --help --debug
            else
                __awsenv_complete_profiles "${cur}"
            fi
            ;;
        doctor)
            __awsenv_complete_words "${cur}" --json --fix -h --help --debug
            ;;
        demo)
            if [[ "${prev}" == --shell ]]; then
                __awsenv_complete_words "${cur}" bash zsh fish powershell
            else
                __awsenv_complete_words "${cur}" --shell -h --help --debug
            fi
            ;;
        *)
            __awsenv_complete_words "${cur}" -h --help --debug
            ;;
    esac
    \builtin return 0
}

\builtin complete -F __awsenv_complete awsenv

# =============================================================================
#
# To use it, add this to your ~/.bashrc (`awsenv init bash` includes it):
#
# eval "$(awsenv completion bash)"
