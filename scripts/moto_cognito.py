"""moto's Cognito, Cognito Identity and S3 made to answer the setup check's unsigned requests
as AWS does (`lightbox config check`, sync-core `setup_check`; started by
scripts/moto_server.py after moto_iam and moto_identity_pool):

- GetId without a login: AWS answers ResourceNotFoundException for an unknown identity pool
  and NotAuthorizedException ("Unauthenticated access is not supported for this identity
  pool.") for a pool without guest access; moto failed with 500 on an unknown pool and gave
  an identity otherwise. The check of the identity pool asks exactly this.
- A user pool's public keys (`/<pool>/.well-known/jwks.json`): AWS answers 404 for a pool
  that does not exist; moto served its one key set for any name. The check of the user pool
  fetches them.
- An unsigned request to a bucket that does not exist: AWS answers 404 NoSuchBucket (and 403
  for a private bucket that exists); moto_iam answered 403 for both. The bucket check tells
  the two apart.
"""

from __future__ import annotations

import json

import moto.cognitoidp.urls as cognitoidp_urls
from moto.cognitoidentity.models import CognitoIdentityBackend, cognitoidentity_backends
from moto.cognitoidentity.responses import CognitoIdentityResponse
from moto.cognitoidp.models import cognitoidp_backends
from moto.core.exceptions import JsonRESTError
from moto.s3.exceptions import MissingBucket
from moto.s3.models import s3_backends
from moto.s3.responses import S3Response


def get_id_as_aws() -> None:
    original = CognitoIdentityBackend.get_id

    def get_id(self: CognitoIdentityResponse) -> str:
        pool_id = self._get_param("IdentityPoolId") or ""
        region = pool_id.split(":")[0]
        backend = cognitoidentity_backends[self.current_account][region] if region else None
        pool = backend.identity_pools.get(pool_id) if backend else None
        if pool is None:
            raise JsonRESTError("ResourceNotFoundException", f"IdentityPool '{pool_id}' not found.")
        if not self._get_param("Logins") and not pool.allow_unauthenticated_identities:
            raise JsonRESTError("NotAuthorizedException",
                                "Unauthenticated access is not supported for this identity pool.")
        return original(self.backend, identity_pool_id=pool_id)

    CognitoIdentityResponse.get_id = get_id


def anonymous_missing_bucket_is_404() -> None:
    original = S3Response._authenticate_and_authorize_s3_action

    def authenticate(self, bucket_name=None, key_name=None):  # noqa: ANN001, ANN202
        unsigned = "Authorization" not in self.headers and "X-Amz-Credential" not in self.uri \
            and "AWSAccessKeyId" not in self.uri
        if unsigned and bucket_name and bucket_name not in s3_backends.bucket_accounts:
            raise MissingBucket(bucket_name)
        return original(self, bucket_name=bucket_name, key_name=key_name)

    S3Response._authenticate_and_authorize_s3_action = authenticate


def jwks_of_existing_pools_only() -> None:
    key = "{0}/(?P<user_pool_id>[^/]+)/.well-known/jwks.json$"
    serve = cognitoidp_urls.url_paths[key]

    def serve_known(request, full_url, headers):  # noqa: ANN001, ANN202 (moto's route signature)
        pool_id = full_url.split("?")[0].rstrip("/").split("/")[-3]
        region = pool_id.split("_")[0]
        known = any(pool_id in backend.user_pools
                    for account in cognitoidp_backends.values()
                    for name, backend in account.items() if name == region)
        if not known:
            return 404, {"Content-Type": "application/json"}, json.dumps(
                {"message": f"User pool {pool_id} does not exist."})
        return serve(request, full_url, headers)

    cognitoidp_urls.url_paths[key] = serve_known


def apply() -> None:
    jwks_of_existing_pools_only()
    get_id_as_aws()
    anonymous_missing_bucket_is_404()
