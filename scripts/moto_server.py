"""Start moto in server mode with one fix for aws-sdk-s3.

moto 5.2.x serializes S3 ListParts with the XML root `ListPartsResponse`, while
S3 (and aws-sdk-s3's parser) use `ListPartsResult`. moto derives the root from the
operation's output shape, so setting `resultWrapper` on that shape in moto's cached
service model fixes the reply before the server starts. Arguments are passed to
`moto.server.main` unchanged (e.g. `-H 127.0.0.1 -p 5000`).
"""

import sys

from moto.core.utils import get_service_model
from moto.server import main


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
    sys.exit(main(sys.argv[1:]))
