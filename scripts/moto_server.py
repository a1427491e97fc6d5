"""Start moto in server mode with the fixes Lightbox's local stack needs.

- ListParts: moto 5.2.x serializes S3 ListParts with the XML root `ListPartsResponse`,
  while S3 (and aws-sdk-s3's parser) use `ListPartsResult`. moto derives the root from the
  operation's output shape, so setting `resultWrapper` on that shape in moto's cached
  service model fixes the reply before the server starts.
- IAM enforcement (INITIAL_NO_AUTH_ACTION_COUNT, set by scripts/stack.sh): `moto_iam`
  makes moto's checks answer Cognito's public operations, presigned URLs, unsigned
  requests, HeadBucket and DeleteObjects as AWS does.
- Identity pool roles: `moto_identity_pool` gives a signed-in user STS credentials of the
  role that the pool's rules choose for the user's group, instead of fixed keys.

Arguments are passed to `moto.server.main` unchanged (e.g. `-H 127.0.0.1 -p 5000`).
"""

import sys

from moto.core.utils import get_service_model
from moto.server import main

import moto_iam
import moto_identity_pool


def patch_list_parts() -> None:
    model = get_service_model("s3")
    operation = model.operation_model("ListParts")
    output = operation.output_shape
    # The dict behind the shape (read by every Shape built later) and the
    # already-built shape cached on the operation model.
    model._shape_resolver._shape_map[output.name]["resultWrapper"] = "ListPartsResult"
    output.serialization["resultWrapper"] = "ListPartsResult"


if __name__ == "__main__":
    patch_list_parts()
    moto_iam.apply()
    moto_identity_pool.apply()
    sys.exit(main(sys.argv[1:]))
