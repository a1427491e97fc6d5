//! The studio's team: who may sign in, in which group, and where they stand, managed by an
//! admin with Cognito's admin actions (`lightbox users`, the app's Team screen).
//!
//! The calls are signed with the signed-in user's identity-pool credentials, so AWS decides:
//! the admins' role may call these actions on this pool only (infra/modules/cognito's
//! `user_admin` policy), the staff role may not, and a staff member's request comes back
//! refused ([`TeamError::Refused`]) with the server's words. What the app hides from staff
//! is for a friendly screen only.

mod error;
mod member;
mod temporary_password;

use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::types::{
    AttributeType, DeliveryMediumType, MessageActionType,
};

pub use error::TeamError;
pub use lightbox_types::{MemberStatus, TeamGroup};
pub use member::{Member, member, status};
pub use temporary_password::temporary_password;

use crate::auth::Secret;
use crate::auth::password_policy::PasswordPolicy;
use crate::auth::session::Auth;
use crate::config::Config;

/// How an invited person gets the temporary password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Cognito e-mails it (the pool's e-mail settings).
    Email,
    /// Cognito sends nothing: Lightbox makes the password and the admin is shown it once,
    /// to pass on.
    Show,
}

/// An invitation made: the member, and the temporary password when it is to be shown.
#[derive(Debug)]
pub struct Invitation {
    pub member: Member,
    pub temporary_password: Option<Secret>,
}

/// The team of one user pool, as the signed-in user may see and change it.
#[derive(Debug, Clone)]
pub struct Team {
    client: Client,
    pool_id: String,
    policy: PasswordPolicy,
    /// The signed-in user, who may not disable, remove or demote themselves.
    me: Option<String>,
}

/// Refuse `what` when it is aimed at the signed-in user (user names are not case-sensitive
/// in the studio's pool).
fn not_own(me: Option<&str>, username: &str, what: &'static str) -> Result<(), TeamError> {
    match me {
        Some(me) if me.to_lowercase() == username.trim().to_lowercase() => {
            Err(TeamError::OwnAccount(what))
        }
        _ => Ok(()),
    }
}

/// `admins` or `staff`, else what to type instead.
pub fn parse_group(name: &str) -> Result<TeamGroup, TeamError> {
    TeamGroup::parse(name).ok_or_else(|| TeamError::UnknownGroup(name.trim().to_owned()))
}

fn email_attribute(name: &str, value: &str) -> Result<AttributeType, TeamError> {
    AttributeType::builder()
        .name(name)
        .value(value)
        .build()
        .map_err(|e| TeamError::BadValue(e.to_string()))
}

impl Team {
    /// The team of the configured pool, called with the signed-in user's identity-pool
    /// credentials (their group's role decides what AWS allows).
    pub async fn signed_in(config: &Config) -> Result<Self, TeamError> {
        let cognito = &config.auth.cognito;
        let pool_id = cognito
            .user_pool_id
            .clone()
            .filter(|p| !p.is_empty())
            .ok_or(TeamError::NotConfigured("user_pool_id"))?;
        let region = cognito.region().ok_or(TeamError::NotConfigured("region"))?;
        let state_dir = config
            .state_dir()
            .map_err(|e| TeamError::BadValue(e.to_string()))?;
        let auth = Auth::from_config(cognito, &state_dir).await?;
        let me = auth.whoami().await?.user;
        let credentials = auth.identity_credentials().await?;
        let shared = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(region))
            .credentials_provider(credentials)
            .load()
            .await;
        let mut conf = aws_sdk_cognitoidentityprovider::config::Builder::from(&shared);
        if let Some(endpoint) = &cognito.idp_endpoint {
            conf = conf.endpoint_url(endpoint);
        }
        Ok(Self::new(
            Client::from_conf(conf.build()),
            pool_id,
            cognito.password_policy.clone(),
            Some(me),
        ))
    }

    /// A team over `client` (credentials already set), for `pool_id`; `me` is the caller.
    #[must_use]
    pub fn new(
        client: Client,
        pool_id: String,
        policy: PasswordPolicy,
        me: Option<String>,
    ) -> Self {
        Self {
            client,
            pool_id,
            policy,
            me,
        }
    }

    /// The signed-in user's name, when known.
    #[must_use]
    pub fn me(&self) -> Option<&str> {
        self.me.as_deref()
    }

    /// Everyone in the pool with their group (`ListUsers`, then `AdminListGroupsForUser`
    /// for each, every page of both), sorted by user name.
    pub async fn list(&self) -> Result<Vec<Member>, TeamError> {
        let mut users = Vec::new();
        let mut pages = self
            .client
            .list_users()
            .user_pool_id(&self.pool_id)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| TeamError::from_sdk("ListUsers", "", &e))?;
            users.extend(page.users().iter().cloned());
        }
        let mut members = Vec::with_capacity(users.len());
        for user in &users {
            let name = user.username().unwrap_or_default();
            let groups = self.groups_of(name).await?;
            members.push(member(
                user,
                TeamGroup::of(groups.iter().map(String::as_str)),
            ));
        }
        members.sort_by(|a, b| a.username.cmp(&b.username));
        Ok(members)
    }

    async fn groups_of(&self, username: &str) -> Result<Vec<String>, TeamError> {
        let mut names = Vec::new();
        let mut pages = self
            .client
            .admin_list_groups_for_user()
            .user_pool_id(&self.pool_id)
            .username(username)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page =
                page.map_err(|e| TeamError::from_sdk("AdminListGroupsForUser", username, &e))?;
            names.extend(
                page.groups()
                    .iter()
                    .filter_map(|g| g.group_name().map(str::to_owned)),
            );
        }
        Ok(names)
    }

    /// Invite `email` into `group`, with the user name `username` (else the address).
    pub async fn invite(
        &self,
        username: Option<&str>,
        email: &str,
        group: TeamGroup,
        delivery: Delivery,
    ) -> Result<Invitation, TeamError> {
        let email = email.trim();
        let well_formed = email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'));
        if !well_formed || email.contains(char::is_whitespace) {
            return Err(TeamError::BadValue(format!(
                "{email:?} is not an e-mail address"
            )));
        }
        let username = username
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .unwrap_or(email);
        let mut request = self
            .client
            .admin_create_user()
            .user_pool_id(&self.pool_id)
            .username(username)
            .user_attributes(email_attribute("email", email)?)
            // The admin vouches for the address: password resets go to it.
            .user_attributes(email_attribute("email_verified", "true")?);
        let temporary = match delivery {
            Delivery::Email => {
                request = request.desired_delivery_mediums(DeliveryMediumType::Email);
                None
            }
            Delivery::Show => {
                let password = temporary_password(&self.policy, &mut rand::rng());
                request = request
                    .message_action(MessageActionType::Suppress)
                    .temporary_password(password.expose());
                Some(password)
            }
        };
        let created = request
            .send()
            .await
            .map_err(|e| TeamError::from_sdk("AdminCreateUser", username, &e))?;
        self.add_to(username, group).await?;
        let user = created.user.ok_or_else(|| TeamError::Service {
            operation: "AdminCreateUser",
            failure: crate::sdk_failure::SdkFailure::BadResponse,
            detail: "the answer named no user".to_owned(),
        })?;
        Ok(Invitation {
            member: member(&user, Some(group)),
            temporary_password: temporary,
        })
    }

    async fn add_to(&self, username: &str, group: TeamGroup) -> Result<(), TeamError> {
        self.client
            .admin_add_user_to_group()
            .user_pool_id(&self.pool_id)
            .username(username)
            .group_name(group.as_str())
            .send()
            .await
            .map_err(|e| TeamError::from_sdk("AdminAddUserToGroup", username, &e))?;
        Ok(())
    }

    /// Put `username` in `group` and take them out of the other one (one group each: the
    /// identity pool gives no credentials to someone in both). An admin cannot move
    /// themselves to staff (the studio could lose its last admin).
    pub async fn set_group(&self, username: &str, group: TeamGroup) -> Result<(), TeamError> {
        if group != TeamGroup::Admins {
            not_own(self.me(), username, "move to staff")?;
        }
        self.add_to(username, group).await?;
        for other in TeamGroup::ALL.into_iter().filter(|g| *g != group) {
            self.client
                .admin_remove_user_from_group()
                .user_pool_id(&self.pool_id)
                .username(username)
                .group_name(other.as_str())
                .send()
                .await
                .map_err(|e| TeamError::from_sdk("AdminRemoveUserFromGroup", username, &e))?;
        }
        Ok(())
    }

    /// No more sign-ins, and the ones under way end (`AdminUserGlobalSignOut`: their refresh
    /// tokens stop working).
    pub async fn disable(&self, username: &str) -> Result<(), TeamError> {
        not_own(self.me(), username, "disable")?;
        self.client
            .admin_disable_user()
            .user_pool_id(&self.pool_id)
            .username(username)
            .send()
            .await
            .map_err(|e| TeamError::from_sdk("AdminDisableUser", username, &e))?;
        self.client
            .admin_user_global_sign_out()
            .user_pool_id(&self.pool_id)
            .username(username)
            .send()
            .await
            .map_err(|e| TeamError::from_sdk("AdminUserGlobalSignOut", username, &e))?;
        Ok(())
    }

    pub async fn enable(&self, username: &str) -> Result<(), TeamError> {
        self.client
            .admin_enable_user()
            .user_pool_id(&self.pool_id)
            .username(username)
            .send()
            .await
            .map_err(|e| TeamError::from_sdk("AdminEnableUser", username, &e))?;
        Ok(())
    }

    /// The user must choose a new password with a code Cognito sends them ("forgot
    /// password"); Cognito allows it for a user who has signed in before.
    pub async fn reset_password(&self, username: &str) -> Result<(), TeamError> {
        self.client
            .admin_reset_user_password()
            .user_pool_id(&self.pool_id)
            .username(username)
            .send()
            .await
            .map_err(|e| TeamError::from_sdk("AdminResetUserPassword", username, &e))?;
        Ok(())
    }

    /// Delete the account. Their photos stay in the bucket.
    pub async fn remove(&self, username: &str) -> Result<(), TeamError> {
        not_own(self.me(), username, "remove")?;
        self.client
            .admin_delete_user()
            .user_pool_id(&self.pool_id)
            .username(username)
            .send()
            .await
            .map_err(|e| TeamError::from_sdk("AdminDeleteUser", username, &e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signed_in_admin_cannot_aim_at_themselves_in_any_case() {
        assert!(matches!(
            not_own(Some("Ann"), " ann ", "remove"),
            Err(TeamError::OwnAccount("remove"))
        ));
        assert!(not_own(Some("ann"), "bob", "remove").is_ok());
        assert!(not_own(None, "ann", "remove").is_ok(), "no caller known");
    }
}
