"""moto's IAM enforcement, made to answer the requests Lightbox makes as AWS does.

With INITIAL_NO_AUTH_ACTION_COUNT=N, moto checks every request after the first N against
IAM: the SigV4 signature against the caller's key, then the caller's identity policies
(actions and resources; moto's evaluator skips most condition keys, see docs/local-stack.md).
Out of the box that breaks six things AWS does differently, each fixed here:

- Operations AWS serves without AWS credentials (Cognito sign-in, GetCredentialsForIdentity,
  ...) are refused: moto's public list is short. `allow_public_operations` adds every
  operation that botocore's own service models mark as unauthenticated.
- Presigned URLs (the gallery's thumbnails) and unsigned requests make moto fail with a 500
  (it reads the Authorization header unconditionally). `authorize_query_and_anonymous`
  checks a presigned URL's credentials and its caller's policies (not its signature or
  expiry, which moto never checked) and answers an unsigned request with AccessDenied.
- HeadBucket is checked as `s3:HeadBucket`; AWS checks `s3:ListBucket`.
- DeleteObjects is checked once against the bucket's ARN, so a policy that allows
  `s3:DeleteObject` on `bucket/originals/*` is refused; AWS checks each key.
  `authorize_delete_objects_per_key` checks each key (all keys must be allowed, or all
  come back AccessDenied: moto's reply is all or nothing here).
- Cognito user-pool operations (AdminCreateUser, ListUsers, ...) are checked against the
  resource "*", so a policy that allows them on one pool's ARN (infra/modules/cognito's
  `user_admin`, the admins' right to manage the team) never matches. AWS checks
  `arn:aws:cognito-idp:<region>:<account>:userpool/<pool id>`; `user_pool_as_resource`
  does too.
- A refused Cognito user-pool request is answered in XML (moto's AccessDenied for query
  services), which a JSON-protocol client cannot read: aws-sdk-rust reports an unreadable
  answer. AWS answers `{"__type": "AccessDeniedException", ...}` with HTTP 400;
  `json_access_denied_for_cognito` does too.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import botocore.session
import xmltodict
from moto import settings
from moto.cognitoidp.responses import CognitoIdpResponse
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.exceptions import AccessDeniedError, JsonRESTError
from moto.iam.access_control import IAMRequest, S3IAMRequest
from moto.s3 import responses as s3_responses
from moto.s3.exceptions import S3AccessDeniedError

# Services whose no-auth operations the app calls (sign-in, tokens, identity-pool credentials).
PUBLIC_SERVICES = ("cognito-idp", "cognito-identity")


def allow_public_operations() -> None:
    session = botocore.session.get_session()
    for service in PUBLIC_SERVICES:
        model = session.get_service_model(service)
        prefix = model.metadata["targetPrefix"]
        for name in model.operation_names:
            operation = model.operation_model(name)
            if operation.auth_type == "none" or "smithy.api#noAuth" in (operation.auth or []):
                target = f"{prefix}.{name}"
                if target not in ActionAuthenticatorMixin.PUBLIC_OPERATIONS:
                    ActionAuthenticatorMixin.PUBLIC_OPERATIONS.append(target)


def authorize_query_and_anonymous() -> None:
    original = ActionAuthenticatorMixin._authenticate_and_authorize_action

    def authenticate(self, iam_request_cls, resource="*"):  # noqa: ANN001, ANN202 (moto's signature)
        if (
            ActionAuthenticatorMixin.request_count < settings.INITIAL_NO_AUTH_ACTION_COUNT
            or self.headers.get("X-Amz-Target") in ActionAuthenticatorMixin.PUBLIC_OPERATIONS
            or "Authorization" in self.headers
        ):
            return original(self, iam_request_cls, resource)
        query = {k.lower(): v[0] for k, v in parse_qs(urlparse(self.uri).query).items()}
        if "x-amz-credential" in query:  # SigV4 query string
            credential = query["x-amz-credential"]
        elif "awsaccesskeyid" in query:  # SigV2 query string: a scope as SigV4 would give it
            credential = f"{query['awsaccesskeyid']}/19700101/{self.region}/s3/aws4_request"
        else:
            if iam_request_cls is S3IAMRequest:
                raise S3AccessDeniedError()
            raise AccessDeniedError(user_arn="anonymous", action=str(self._get_action()))
        # A presigned URL: the same check with the query's credentials as if they came in
        # an Authorization header.
        headers = dict(self.headers)
        headers["Authorization"] = f"AWS4-HMAC-SHA256 Credential={credential}, SignedHeaders=host, Signature=-"
        if "x-amz-security-token" in query:
            headers["X-Amz-Security-Token"] = query["x-amz-security-token"]
        path = self.raw_path + "?" + urlparse(self.uri).query
        iam_request = iam_request_cls(
            account_id=self.current_account,
            method=self.method,
            path=path,
            data=self.data,
            body=self.raw_body,
            headers=headers,
            action=self._get_action(),
        )
        iam_request.check_action_permitted(resource)

    ActionAuthenticatorMixin._authenticate_and_authorize_action = authenticate


def head_bucket_is_list_bucket() -> None:
    s3_responses.ACTION_MAP["BUCKET"]["HEAD"]["DEFAULT"] = "ListBucket"


def authorize_delete_objects_per_key() -> None:
    original = s3_responses.S3Response._authenticate_and_authorize_s3_action

    def authenticate(self, bucket_name=None, key_name=None):  # noqa: ANN001, ANN202
        if key_name is None and self.data.get("Action") == "DeleteObject" and self.is_delete_keys():
            objects = xmltodict.parse(self.body, strip_whitespace=False)["Delete"].get("Object", [])
            for obj in objects if isinstance(objects, list) else [objects]:
                original(self, bucket_name=bucket_name, key_name=obj["Key"])
            return None
        return original(self, bucket_name=bucket_name, key_name=key_name)

    s3_responses.S3Response._authenticate_and_authorize_s3_action = authenticate


def user_pool_as_resource() -> None:
    def determine_resource(self: CognitoIdpResponse) -> str:
        pool_id = self._get_param("UserPoolId")
        if not pool_id:
            return "*"
        return f"arn:aws:cognito-idp:{self.region}:{self.current_account}:userpool/{pool_id}"

    CognitoIdpResponse._determine_resource = determine_resource


class JsonAccessDenied(JsonRESTError):
    code = 400


def json_access_denied_for_cognito() -> None:
    original = IAMRequest._raise_access_denied

    def raise_access_denied(self: IAMRequest) -> None:
        if self._service == "cognito-idp":
            raise JsonAccessDenied(
                "AccessDeniedException",
                f"User: {self._access_key.arn} is not authorized to perform: {self._action}",
            )
        original(self)

    IAMRequest._raise_access_denied = raise_access_denied


def apply() -> None:
    allow_public_operations()
    authorize_query_and_anonymous()
    head_bucket_is_list_bucket()
    authorize_delete_objects_per_key()
    user_pool_as_resource()
    json_access_denied_for_cognito()
