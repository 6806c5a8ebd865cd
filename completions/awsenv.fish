# =============================================================================
#
# awsenv: fish completion.
#
# Loaded by `awsenv init fish`, or on its own with `awsenv completion fish | source`
# (or saved as ~/.config/fish/completions/awsenv.fish). The interpreter token is
# replaced with the quoted Python that runs awsenv.
#
# The static parts (subcommands, options, regions) are written out here, so most
# completions start no process; tests/shells/test_drift.py checks them against
# awsenv/clispec.py. Only profile and sso-session names ask the core
# (`__complete profiles`, `__complete sso-sessions`), which reads ~/.aws/config
# and nothing else. fish escapes every candidate it inserts, so a profile or
# sso-session name is never run as code.
#

complete -c awsenv -e

# The prefix is the token as fish reads it: `commandline -ct` is the token as typed, with its
# quotes and backslashes (`a\ b`), so it is unescaped first; a token fish cannot unescape yet
# (an open quote) sends no prefix, and fish filters all names itself.
function __awsenv_complete_profiles --description 'awsenv: profile names for completion'
    set -l typed (commandline -ct | string unescape 2>/dev/null)
    # One name per line; the core leaves out names with control characters.
    command __AWSENV_CORE__ __complete profiles -- $typed 2>/dev/null
end

function __awsenv_complete_sso_sessions --description 'awsenv: sso-session names for completion'
    set -l typed (commandline -ct | string unescape 2>/dev/null)
    # One name per line, as for profiles above.
    command __AWSENV_CORE__ __complete sso-sessions -- $typed 2>/dev/null
end

function __awsenv_subcommand_is --description 'awsenv: is the subcommand one of the arguments'
    # The subcommand is the first word that is not an option (no global option takes a
    # value); `-` stands for none yet. Only this word counts: a later word that happens to
    # be a subcommand's name (a profile, the command after `exec PROFILE --`) does not.
    set -l command -
    for word in (commandline -opc)[2..-1]
        if not string match -q -- '-*' $word
            set command $word
            break
        end
    end
    contains -- $command $argv
end

function __awsenv_exec_at --argument-names where --description 'awsenv: where the cursor is in exec'
    # exec [options] PROFILE [-- COMMAND...]: succeed if the subcommand is exec and the word
    # being completed is the profile (or an option before it), the word right after the
    # profile (dashdash) or part of the command (command).
    set -l state subcommand
    for word in (commandline -opc)[2..-1]
        switch $state
            case subcommand
                # The subcommand is the first word that is not an option.
                if not string match -q -- '-*' $word
                    test "$word" = exec; or return 1
                    set state profile
                end
            case value
                set state profile
            case profile
                switch $word
                    case --region --mfa-code --duration
                        set state value
                    case '-*'
                    case '*'
                        set state dashdash
                end
            case '*'
                set state command
        end
    end
    test $state = value; and set state profile
    test $state = $where
end

function __awsenv_configure_kind_is --description 'awsenv: is the configure kind one of the arguments'
    # configure KIND [--flag VALUE]...: succeed if the subcommand is configure and its kind (the
    # first word after it that is neither an option nor an option's value) is one of the
    # arguments; `-` stands for none yet. Each kind takes only its own flags (FLAGS in
    # awsenv/commands/configure.py; another kind's is a usage error). Right after an option
    # that takes a value, before the kind, nothing matches.
    set -l state subcommand
    set -l kind -
    for word in (commandline -opc)[2..-1]
        switch $state
            case subcommand
                if not string match -q -- '-*' $word
                    test "$word" = configure; or return 1
                    set state kind
                end
            case value
                set state kind
            case kind
                switch $word
                    case --sso-session --start-url --sso-region --scopes --account --role \
                        --region --output --profile --org-domain --org-url --oidc-client-id \
                        --aws-acct-fed-app-id --aws-iam-idp --aws-iam-role --source-profile \
                        --role-arn --mfa-serial --mfa-code --external-id --role-session-name \
                        --duration-seconds
                        set state value
                    case '-*'
                    case '*'
                        set kind $word
                        break
                end
        end
    end
    test $state = kind; or return 1
    contains -- $kind $argv
end

set -l __awsenv_commands use unset region refresh exec credential-process whoami login logout console sso configure keys list status explain doctor init completion demo
set -l __awsenv_regions af-south-1 ap-east-1 ap-east-2 ap-northeast-1 ap-northeast-2 \
    ap-northeast-3 ap-south-1 ap-south-2 ap-southeast-1 ap-southeast-2 ap-southeast-3 \
    ap-southeast-4 ap-southeast-5 ap-southeast-7 ca-central-1 ca-west-1 cn-north-1 \
    cn-northwest-1 eu-central-1 eu-central-2 eu-north-1 eu-south-1 eu-south-2 eu-west-1 \
    eu-west-2 eu-west-3 il-central-1 me-central-1 me-south-1 mx-central-1 sa-east-1 \
    us-east-1 us-east-2 us-gov-east-1 us-gov-west-1 us-west-1 us-west-2
set -l __awsenv_shells bash zsh fish powershell

# Files are never what awsenv takes; the command after `exec PROFILE --` gets fish's own
# default completion (files), and nothing of awsenv's.
complete -c awsenv -n 'not __awsenv_exec_at command' -f

# Global options and subcommands
complete -c awsenv -n 'not __awsenv_exec_at command' -s h -l help -d 'show help and exit'
complete -c awsenv -n 'not __awsenv_exec_at command' -l debug -d 'log each step on stderr'
complete -c awsenv -n '__awsenv_subcommand_is -' -l version -d 'show the version and exit'
complete -c awsenv -n '__awsenv_subcommand_is -' -a use -d 'switch this shell to a profile'
complete -c awsenv -n '__awsenv_subcommand_is -' -a unset -d 'remove everything awsenv exported'
complete -c awsenv -n '__awsenv_subcommand_is -' -a region -d 'change the region of this shell'
complete -c awsenv -n '__awsenv_subcommand_is -' -a refresh -d 'renew the credentials this shell uses'
complete -c awsenv -n '__awsenv_subcommand_is -' -a exec -d 'run a command or a shell with a profile'
complete -c awsenv -n '__awsenv_subcommand_is -' -a credential-process -d 'credentials as credential_process JSON'
complete -c awsenv -n '__awsenv_subcommand_is -' -a whoami -d 'show the AWS identity in use'
complete -c awsenv -n '__awsenv_subcommand_is -' -a login -d 'log in to an SSO session'
complete -c awsenv -n '__awsenv_subcommand_is -' -a logout -d 'end SSO sessions'
complete -c awsenv -n '__awsenv_subcommand_is -' -a console -d 'open the AWS console as a profile'
complete -c awsenv -n '__awsenv_subcommand_is -' -a sso -d 'sso sync: a profile per account role'
complete -c awsenv -n '__awsenv_subcommand_is -' -a configure -d 'write a profile from a start URL, an Okta org or a role'
complete -c awsenv -n '__awsenv_subcommand_is -' -a keys -d 'long-lived keys in the OS keychain'
complete -c awsenv -n '__awsenv_subcommand_is -' -a list -d 'list every profile'
complete -c awsenv -n '__awsenv_subcommand_is -' -a status -d 'show the profile this shell uses now'
complete -c awsenv -n '__awsenv_subcommand_is -' -a explain -d 'show how a profile resolves'
complete -c awsenv -n '__awsenv_subcommand_is -' -a doctor -d 'check profiles, caches and this shell'
complete -c awsenv -n '__awsenv_subcommand_is -' -a init -d 'print the shell integration'
complete -c awsenv -n '__awsenv_subcommand_is -' -a completion -d 'print only the tab-completion script'
complete -c awsenv -n '__awsenv_subcommand_is -' -a demo -d 'try awsenv in a throwaway subshell'

# use PROFILE
complete -c awsenv -n '__awsenv_subcommand_is use' -a '(__awsenv_complete_profiles)'
complete -c awsenv -n '__awsenv_subcommand_is use' -l keys -d 'export temporary keys instead of AWS_PROFILE'
complete -c awsenv -n '__awsenv_subcommand_is use' -l region -x -a "$__awsenv_regions" -d 'also export this region'
complete -c awsenv -n '__awsenv_subcommand_is use' -l device-code -d 'SSO: log in with the device-code flow'
complete -c awsenv -n '__awsenv_subcommand_is use' -l no-browser -d 'never open a browser'
complete -c awsenv -n '__awsenv_subcommand_is use' -l mfa-code -x -d 'MFA code for AssumeRole'
complete -c awsenv -n '__awsenv_subcommand_is use' -l role -x -d 'SAML/Okta: the role ARN to assume'
complete -c awsenv -n '__awsenv_subcommand_is use' -l force-login -d 'log in again even if a valid token exists'
complete -c awsenv -n '__awsenv_subcommand_is use' -l write-credentials -d 'also write the keys into ~/.aws/credentials'
complete -c awsenv -n '__awsenv_subcommand_is use' -l saml-assertion -r -F -d 'SAML: the base64 SAMLResponse file (- for stdin)'
complete -c awsenv -n '__awsenv_subcommand_is use' -l role-arn -x -d 'assume this role with the credentials of --source'
complete -c awsenv -n '__awsenv_subcommand_is use' -l source -x -a '(__awsenv_complete_profiles)' -d '--role-arn: the profile that assumes it'
complete -c awsenv -n '__awsenv_subcommand_is use' -l external-id -x -d '--role-arn: the ExternalId'
complete -c awsenv -n '__awsenv_subcommand_is use' -l session-name -x -d '--role-arn: the RoleSessionName'
complete -c awsenv -n '__awsenv_subcommand_is use' -l duration -x -d 'role session length in seconds'

# region REGION
complete -c awsenv -n '__awsenv_subcommand_is region' -a "$__awsenv_regions"

# refresh
complete -c awsenv -n '__awsenv_subcommand_is refresh' -l device-code -d 'SSO: log in with the device-code flow'
complete -c awsenv -n '__awsenv_subcommand_is refresh' -l no-browser -d 'never open a browser'
complete -c awsenv -n '__awsenv_subcommand_is refresh' -l auto -d 'renew only with no browser or prompt (the prompt hook mode)'

# exec PROFILE [-- COMMAND...] (no command: a shell; after `--`, only fish's default completion: see above)
complete -c awsenv -n '__awsenv_exec_at profile' -a '(__awsenv_complete_profiles)'
complete -c awsenv -n '__awsenv_exec_at profile' -l region -x -a "$__awsenv_regions" -d 'run with this region'
complete -c awsenv -n '__awsenv_exec_at profile' -l mfa-code -x -d 'MFA code for AssumeRole'
complete -c awsenv -n '__awsenv_exec_at profile' -l duration -x -d 'role session length in seconds'
complete -c awsenv -n '__awsenv_exec_at profile' -l device-code -d 'SSO: log in with the device-code flow'
complete -c awsenv -n '__awsenv_exec_at profile' -l no-browser -d 'never open a browser'
complete -c awsenv -n '__awsenv_exec_at dashdash' -a -- -d 'the command follows'

# login [PROFILE], logout [PROFILE]
complete -c awsenv -n '__awsenv_subcommand_is login logout' -a '(__awsenv_complete_profiles)'
complete -c awsenv -n '__awsenv_subcommand_is login' -l sso-session -x -a '(__awsenv_complete_sso_sessions)' -d 'log in to this [sso-session]'
complete -c awsenv -n '__awsenv_subcommand_is login' -l device-code -d 'use the device-code flow'
complete -c awsenv -n '__awsenv_subcommand_is login' -l no-browser -d 'never open a browser'
complete -c awsenv -n '__awsenv_subcommand_is login' -l force -d 'log in again even if still valid'
complete -c awsenv -n '__awsenv_subcommand_is logout' -l sso-session -x -a '(__awsenv_complete_sso_sessions)' -d 'log out of this [sso-session]'
complete -c awsenv -n '__awsenv_subcommand_is logout' -l all -d 'log out of every SSO session'

# console [PROFILE]
complete -c awsenv -n '__awsenv_subcommand_is console' -a '(__awsenv_complete_profiles)'
complete -c awsenv -n '__awsenv_subcommand_is console' -l print -d 'print the sign-in URL instead of opening it'
complete -c awsenv -n '__awsenv_subcommand_is console' -l service -x -d 'the console page to land on, e.g. s3'
complete -c awsenv -n '__awsenv_subcommand_is console' -l region -x -a "$__awsenv_regions" -d 'land in this region'
complete -c awsenv -n '__awsenv_subcommand_is console' -l mfa-code -x -d 'MFA code for AssumeRole'
complete -c awsenv -n '__awsenv_subcommand_is console' -l duration -x -d 'role session length in seconds'
complete -c awsenv -n '__awsenv_subcommand_is console' -l device-code -d 'SSO: log in with the device-code flow'
complete -c awsenv -n '__awsenv_subcommand_is console' -l no-browser -d 'never open a browser'

# sso sync --sso-session NAME [--dry-run] [--prefix P]
complete -c awsenv -n '__awsenv_subcommand_is sso; and not __fish_seen_subcommand_from sync' -a sync -d 'add a profile per account role'
complete -c awsenv -n '__awsenv_subcommand_is sso' -l sso-session -x -a '(__awsenv_complete_sso_sessions)' -d 'the [sso-session] to sync'
complete -c awsenv -n '__awsenv_subcommand_is sso' -l dry-run -d 'print the diff; write nothing'
complete -c awsenv -n '__awsenv_subcommand_is sso' -l prefix -x -d 'put P- in front of each new profile name'

# configure sso|sso-session|okta|role [--flag VALUE]...: only the kind's own flags
complete -c awsenv -n '__awsenv_configure_kind_is -' -a 'sso sso-session okta role'
complete -c awsenv -n '__awsenv_configure_kind_is sso sso-session' -l sso-session -x -a '(__awsenv_complete_sso_sessions)' -d 'the [sso-session] name'
complete -c awsenv -n '__awsenv_configure_kind_is sso sso-session' -l start-url -x -d 'the AWS access portal URL'
complete -c awsenv -n '__awsenv_configure_kind_is sso sso-session' -l sso-region -x -a "$__awsenv_regions" -d 'the region of IAM Identity Center'
complete -c awsenv -n '__awsenv_configure_kind_is sso sso-session' -l scopes -x -d 'registration scopes'
complete -c awsenv -n '__awsenv_configure_kind_is sso' -l account -x -d 'the account id'
complete -c awsenv -n '__awsenv_configure_kind_is sso' -l role -x -d 'the role name'
complete -c awsenv -n '__awsenv_configure_kind_is sso' -l output -x -a 'json text table yaml yaml-stream' -d 'the output format'
complete -c awsenv -n '__awsenv_configure_kind_is sso okta' -l device-code -d 'log in with the device-code flow'
complete -c awsenv -n '__awsenv_configure_kind_is sso okta' -l no-browser -d 'never open a browser'
complete -c awsenv -n '__awsenv_configure_kind_is okta' -l org-domain -x -d 'the org domain'
complete -c awsenv -n '__awsenv_configure_kind_is okta' -l org-url -x -d 'the org base URL'
complete -c awsenv -n '__awsenv_configure_kind_is okta' -l oidc-client-id -x -d 'the OIDC client id'
complete -c awsenv -n '__awsenv_configure_kind_is okta' -l aws-acct-fed-app-id -x -d 'the AWS Account Federation app id'
complete -c awsenv -n '__awsenv_configure_kind_is okta' -l aws-iam-idp -x -d 'the IAM identity provider ARN'
complete -c awsenv -n '__awsenv_configure_kind_is okta' -l aws-iam-role -x -d 'the role ARN'
complete -c awsenv -n '__awsenv_configure_kind_is okta' -l all-roles -d 'one profile per role'
complete -c awsenv -n '__awsenv_configure_kind_is role' -l source-profile -x -a '(__awsenv_complete_profiles)' -d 'the profile that assumes it'
complete -c awsenv -n '__awsenv_configure_kind_is role' -l role-arn -x -d 'the role ARN'
complete -c awsenv -n '__awsenv_configure_kind_is role' -l mfa-serial -x -d 'the MFA device ARN'
complete -c awsenv -n '__awsenv_configure_kind_is role' -l mfa-code -x -d 'MFA code for the check'
complete -c awsenv -n '__awsenv_configure_kind_is role' -l external-id -x -d 'the ExternalId'
complete -c awsenv -n '__awsenv_configure_kind_is role' -l role-session-name -x -d 'the RoleSessionName'
complete -c awsenv -n '__awsenv_configure_kind_is role' -l duration-seconds -x -d '900 to 43200 seconds'
complete -c awsenv -n '__awsenv_configure_kind_is role' -l force -d 'write even if it cannot be assumed'
complete -c awsenv -n '__awsenv_configure_kind_is sso okta role' -l region -x -a "$__awsenv_regions" -d 'the profile\'s default region'
complete -c awsenv -n '__awsenv_configure_kind_is sso okta role' -l profile -x -d 'the profile name to write'
complete -c awsenv -n '__awsenv_configure_kind_is sso sso-session okta role' -l yes -d 'write without asking to confirm the diff'

# keys add|import|list|rm [PROFILE]
complete -c awsenv -n '__awsenv_subcommand_is keys; and not __fish_seen_subcommand_from add import list rm' -a 'add import list rm' -d 'keys action'
complete -c awsenv -n '__awsenv_subcommand_is keys; and __fish_seen_subcommand_from add import rm' -a '(__awsenv_complete_profiles)'

# credential-process PROFILE
complete -c awsenv -n '__awsenv_subcommand_is credential-process' -a '(__awsenv_complete_profiles)'
complete -c awsenv -n '__awsenv_subcommand_is credential-process' -l role -x -d 'SAML/Okta: the role ARN to assume'
complete -c awsenv -n '__awsenv_subcommand_is credential-process' -l no-browser -d 'never open a browser'

# whoami, list, status, explain PROFILE, doctor
complete -c awsenv -n '__awsenv_subcommand_is whoami list status explain doctor' -l json -d 'print JSON instead of a table'
complete -c awsenv -n '__awsenv_subcommand_is status' -l identity -d 'also ask STS for the identity'
complete -c awsenv -n '__awsenv_subcommand_is explain' -a '(__awsenv_complete_profiles)'
complete -c awsenv -n '__awsenv_subcommand_is doctor' -l fix -d 'apply the config fixes shown (with a backup)'

# init [SHELL], completion SHELL
complete -c awsenv -n '__awsenv_subcommand_is init completion' -a "$__awsenv_shells"
complete -c awsenv -n '__awsenv_subcommand_is init' -l no-prompt -d 'do not add the awsenv segment to the prompt'
complete -c awsenv -n '__awsenv_subcommand_is init' -l no-auto-refresh -d 'never renew exported keys at the prompt'
complete -c awsenv -n '__awsenv_subcommand_is init' -l no-completion -d 'do not load tab completion'
complete -c awsenv -n '__awsenv_subcommand_is init' -l write -d 'write the integration to a file and print the line that sources it'

# demo [--shell SHELL]
complete -c awsenv -n '__awsenv_subcommand_is demo' -l shell -x -a "$__awsenv_shells" -d 'the shell to start'

# =============================================================================
#
# To use it on its own (`awsenv init fish` includes it), add this to your
# ~/.config/fish/config.fish:
#
# awsenv completion fish | source
