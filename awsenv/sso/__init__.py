"""IAM Identity Center: token and credential caches shared with the AWS CLI, login, portal."""
