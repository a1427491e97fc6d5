//! The test-support library's helpers under the names the tests use.

pub use lightbox_tests::objects::{get_object, get_object_bytes, moto_bucket};
pub use lightbox_tests::photos::{MIB, Photo, write_photo};
pub use lightbox_tests::pool_users::{TEMPORARY_PASSWORD, create_pool_user};
pub use lightbox_tests::test_engine::{PATIENCE, TestEngine, fast_ingest, is_planned, planned_key};
