"""The identity pool's role mapping on moto, so signed-in users get their group's role.

moto 5.2.5 answers SetIdentityPoolRoles and GetIdentityPoolRoles with 500 (not
implemented) and GetCredentialsForIdentity with fixed keys tied to no role. Here:

- SetIdentityPoolRoles / GetIdentityPoolRoles store and return a pool's `Roles` and
  `RoleMappings` as AWS documents them.
- GetCredentialsForIdentity checks the ID token in `Logins` (signed by the user pool's key,
  issued by a provider the pool trusts, for an app client it names, unexpired, an ID token),
  picks the role as AWS does (the provider's `Rules`, first match wins; no match: the
  `AmbiguousRoleResolution`), checks that the role trusts this identity pool, and answers
  with moto STS AssumeRole credentials for that role, so moto's IAM enforcement applies the
  role's policies to every request signed with them. They expire after 90 s, as moto's
  fixed credentials did (a good refresh test).

Rule matching on a list claim such as `cognito:groups`: "Equals" holds when the list is
exactly the one value (AWS documents no list semantics; this fails closed for a user in
several groups, who matches no rule and, with "Deny", gets no credentials); "Contains"
and "StartsWith" test each value as a substring or prefix; "NotEqual" is "not Equals".
"""

from __future__ import annotations

import json
import time
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from moto.cognitoidentity.models import CognitoIdentityBackend, cognitoidentity_backends
from moto.cognitoidentity.responses import CognitoIdentityResponse
from moto.cognitoidp.models import cognitoidp_backends
from moto.core.exceptions import JsonRESTError
from moto.iam.models import iam_backends
from moto.sts.models import sts_backends

CREDENTIAL_SECONDS = 90
COGNITO_IDENTITY = "cognito-identity.amazonaws.com"


class NotAuthorized(JsonRESTError):
    def __init__(self, message: str) -> None:
        super().__init__("NotAuthorizedException", message)


class InvalidConfiguration(JsonRESTError):
    def __init__(self, message: str) -> None:
        super().__init__("InvalidIdentityPoolConfigurationException", message)


def _matches(match_type: str, claim: Any, value: str) -> bool:
    values = claim if isinstance(claim, list) else [claim]
    values = [str(v) for v in values]
    if match_type == "Equals":
        return values == [value]
    if match_type == "NotEqual":
        return values != [value]
    if match_type == "Contains":
        return any(value in v for v in values)
    if match_type == "StartsWith":
        return any(v.startswith(value) for v in values)
    raise InvalidConfiguration(f"unknown MatchType {match_type}")


def choose_role(config: dict, provider_key: str, claims: dict) -> str:
    """The role ARN the pool's configuration gives these token claims (pure)."""
    roles = config.get("Roles") or {}
    mapping = (config.get("RoleMappings") or {}).get(provider_key)
    if mapping is None:
        if "authenticated" not in roles:
            raise InvalidConfiguration("the identity pool has no authenticated role")
        return roles["authenticated"]
    if mapping.get("Type") != "Rules":
        raise InvalidConfiguration(f"role mapping type {mapping.get('Type')} is not modelled on the local stack")
    for rule in mapping.get("RulesConfiguration", {}).get("Rules", []):
        if rule["Claim"] in claims and _matches(rule["MatchType"], claims[rule["Claim"]], rule["Value"]):
            return rule["RoleARN"]
    if mapping.get("AmbiguousRoleResolution") == "AuthenticatedRole" and "authenticated" in roles:
        return roles["authenticated"]
    raise NotAuthorized("no role mapping rule matches this user's token, and the pool denies ambiguous users")


def _pool_of(account_id: str, identity_id: str) -> str:
    """The identity pool whose GetId made `identity_id`."""
    for regional in cognitoidentity_backends[account_id].values():
        for pool_id, entry in regional.pools_identities.items():
            if any(i.get("IdentityId") == identity_id for i in entry.get("Identities", [])):
                return pool_id
    raise NotAuthorized(f"identity {identity_id} is unknown: call GetId first")


def _verified_claims(account_id: str, pool: Any, provider: str, token: str) -> dict:
    trusted = {p["ProviderName"]: p["ClientId"] for p in pool.cognito_identity_providers}
    if provider not in trusted:
        raise NotAuthorized(f"the identity pool does not trust the provider {provider}")
    region, _, user_pool_id = provider.partition(".amazonaws.com/")
    region = region.removeprefix("cognito-idp.")
    user_pool = cognitoidp_backends[account_id][region].user_pools.get(user_pool_id)
    if user_pool is None:
        raise NotAuthorized(f"no user pool {user_pool_id}")
    try:
        claims = jwt.decode(token, user_pool.json_web_key).claims
    except (JoseError, ValueError) as e:
        raise NotAuthorized(f"invalid login token: {e}") from None
    if claims.get("iss") != f"https://{provider}" or claims.get("token_use") != "id":
        raise NotAuthorized("invalid login token: not an ID token of this provider")
    if claims.get("aud") != trusted[provider]:
        raise NotAuthorized("invalid login token: issued for another app client")
    if int(claims.get("exp", 0)) <= time.time():
        raise NotAuthorized("invalid login token: token expired")
    return claims


def _trusts_pool(account_id: str, role_arn: str, pool_id: str) -> bool:
    role = iam_backends[account_id]["aws"].get_role_by_arn(role_arn)
    document = json.loads(role.assume_role_policy_document)
    for statement in document.get("Statement", []):
        federated = statement.get("Principal", {}).get("Federated")
        actions = statement.get("Action")
        audience = statement.get("Condition", {}).get("StringEquals", {}).get(f"{COGNITO_IDENTITY}:aud")
        if (statement.get("Effect") == "Allow" and federated == COGNITO_IDENTITY
                and "sts:AssumeRoleWithWebIdentity" in (actions if isinstance(actions, list) else [actions])
                and pool_id in (audience if isinstance(audience, list) else [audience])):
            return True
    return False


def set_identity_pool_roles(self: CognitoIdentityResponse) -> str:
    pool_id = self._get_param("IdentityPoolId")
    self.backend.describe_identity_pool(pool_id)  # ResourceNotFound for an unknown pool
    self.backend.lightbox_pool_roles[pool_id] = {
        "Roles": self._get_param("Roles") or {},
        "RoleMappings": self._get_param("RoleMappings") or {},
    }
    return ""


def get_identity_pool_roles(self: CognitoIdentityResponse) -> str:
    pool_id = self._get_param("IdentityPoolId")
    self.backend.describe_identity_pool(pool_id)
    return json.dumps({"IdentityPoolId": pool_id, **self.backend.lightbox_pool_roles.get(pool_id, {})})


def get_credentials_for_identity(self: CognitoIdentityResponse) -> str:
    identity_id = self._get_param("IdentityId")
    logins = self._get_param("Logins") or {}
    if len(logins) != 1:
        raise NotAuthorized("exactly one login (the user pool's ID token) is expected")
    (provider, token), = logins.items()
    pool_id = _pool_of(self.current_account, identity_id)
    region = pool_id.split(":")[0]
    backend = cognitoidentity_backends[self.current_account][region]
    pool = backend.identity_pools[pool_id]
    claims = _verified_claims(self.current_account, pool, provider, token)
    config = backend.lightbox_pool_roles.get(pool_id)
    if config is None:
        raise InvalidConfiguration("the identity pool has no roles: SetIdentityPoolRoles first")
    role_arn = choose_role(config, f"{provider}:{claims['aud']}", claims)
    if not _trusts_pool(self.current_account, role_arn, pool_id):
        raise InvalidConfiguration(f"{role_arn} does not trust identity pool {pool_id}")
    assumed = sts_backends[self.current_account]["aws"].assume_role(
        region_name=region,
        role_session_name="CognitoIdentityCredentials",
        role_arn=role_arn,
        policy=None,
        duration=CREDENTIAL_SECONDS,
        external_id=None,
    )
    return json.dumps({
        "IdentityId": identity_id,
        "Credentials": {
            "AccessKeyId": assumed.access_key_id,
            "SecretKey": assumed.secret_access_key,
            "SessionToken": assumed.session_token,
            "Expiration": assumed.expiration.timestamp(),
        },
    })


def apply() -> None:
    original_init = CognitoIdentityBackend.__init__

    def init(self: CognitoIdentityBackend, region_name: str, account_id: str) -> None:
        original_init(self, region_name, account_id)
        self.lightbox_pool_roles: dict[str, dict] = {}

    CognitoIdentityBackend.__init__ = init
    CognitoIdentityResponse.set_identity_pool_roles = set_identity_pool_roles
    CognitoIdentityResponse.get_identity_pool_roles = get_identity_pool_roles
    CognitoIdentityResponse.get_credentials_for_identity = get_credentials_for_identity
