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
- The setup check's unsigned requests (`moto_cognito`): GetId without a login, an unknown
  user pool's public keys and an unsigned request to a missing bucket answered as AWS does.
- DynamoDB transactions: moto's TransactWriteItems deep-copies each table it touches,
  applies the actions one by one and, when one fails, puts the copy back, with no lock.
  The server answers requests on threads, so a transaction cancelled while another one
  commits puts back a copy taken before that commit and erases it (two threads, one
  transaction bound to fail and one disjoint: the committed items were gone after 9 rounds
  of 10). One lock around every DynamoDB backend call makes moto serializable, as
  DynamoDB's transactions are.
- DynamoDB transaction cost: that copy is taken once per action, so a TransactWriteItems of
  100 actions copied the whole table 100 times (10 to 38 s for 50 files into a table of a
  few hundred items), and even once per transaction it grows with the table (60 s to fill
  1,000 photos). Instead the items the transaction names are saved before it runs and put
  back if it fails; moto's table copy is skipped (under the lock, its `copy` is swapped for
  one that returns tables as they are). Only those items can change.

Arguments are passed to `moto.server.main` unchanged (e.g. `-H 127.0.0.1 -p 5000`).
"""

import copy
import functools
import inspect
import sys
import threading

import moto.dynamodb.models as dynamodb_models
from moto.core.utils import get_service_model
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
from moto.server import main

import moto_cognito
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


# Re-entrant: backend calls call each other.
DYNAMODB_LOCK = threading.RLock()


def serialize_dynamodb() -> None:
    def locked(method):
        @functools.wraps(method)
        def call(*args, **kwargs):
            with DYNAMODB_LOCK:
                return method(*args, **kwargs)
        return call

    for name, member in list(vars(DynamoDBBackend).items()):
        if inspect.isfunction(member) and not name.startswith("_"):
            setattr(DynamoDBBackend, name, locked(member))


class _TablesUncopied:
    """Stands in for the `copy` module inside moto.dynamodb.models during a transaction:
    tables are not copied (their rollback is done item by item instead), anything else is."""

    @staticmethod
    def deepcopy(obj, memo=None):
        return obj if isinstance(obj, Table) else copy.deepcopy(obj, memo)


def roll_back_only_the_items_a_transaction_names() -> None:
    transact = DynamoDBBackend.transact_write_items

    @functools.wraps(transact)
    def transact_items_only(self, transact_items, *args, **kwargs):
        with DYNAMODB_LOCK:  # no other DynamoDB call sees the swapped `copy`
            saved = []
            for entry in transact_items:
                for op_type, op in entry.items():
                    table = self.tables.get(op.get("TableName"))
                    attrs = op.get("Item" if op_type == "Put" else "Key") or {}
                    if table is None or table.hash_key_attr not in attrs:
                        continue  # moto refuses it before writing anything
                    hash_value = DynamoType(attrs[table.hash_key_attr])
                    range_value = DynamoType(attrs[table.range_key_attr]) if table.range_key_attr in attrs else None
                    before = table.get_item(hash_value, range_value)
                    saved.append((table, hash_value, range_value, copy.deepcopy(before)))
            dynamodb_models.copy = _TablesUncopied
            try:
                return transact(self, transact_items, *args, **kwargs)
            except BaseException:
                for table, hash_value, range_value, before in reversed(saved):
                    row = table.items[hash_value] if range_value is not None else table.items
                    key = range_value if range_value is not None else hash_value
                    if before is None:
                        row.pop(key, None)
                    else:
                        row[key] = before
                raise
            finally:
                dynamodb_models.copy = copy

    DynamoDBBackend.transact_write_items = transact_items_only


if __name__ == "__main__":
    patch_list_parts()
    serialize_dynamodb()
    roll_back_only_the_items_a_transaction_names()
    moto_iam.apply()
    moto_identity_pool.apply()
    moto_cognito.apply()
    sys.exit(main(sys.argv[1:]))
