//! Users in the local stack's Cognito pool.

use crate::stack;

/// The temporary password [`create_pool_user`] gives a new user.
pub const TEMPORARY_PASSWORD: &str = "Temporary-Pass-1";

/// A new user (named from `hint`) in the provisioned pool, in `group`, with
/// [`TEMPORARY_PASSWORD`].
pub async fn create_pool_user(hint: &str, group: &str) -> String {
    let info = &stack().info.moto.cognito;
    let name = crate::unique_name(hint);
    let idp = stack().cognito_idp();
    idp.admin_create_user()
        .user_pool_id(&info.user_pool_id)
        .username(&name)
        .temporary_password(TEMPORARY_PASSWORD)
        .user_attributes(
            aws_sdk_cognitoidentityprovider::types::AttributeType::builder()
                .name("email")
                .value(format!("{name}@studio.local"))
                .build()
                .expect("attribute"),
        )
        .message_action(aws_sdk_cognitoidentityprovider::types::MessageActionType::Suppress)
        .send()
        .await
        .expect("moto creates the user");
    idp.admin_add_user_to_group()
        .user_pool_id(&info.user_pool_id)
        .username(&name)
        .group_name(group)
        .send()
        .await
        .expect("moto adds the user to the group");
    name
}
