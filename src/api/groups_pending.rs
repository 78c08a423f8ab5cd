//! Stand-ins for the group calls until h-gapi lands (deleted at its merge).
#![allow(dead_code, clippy::unused_async)]
use super::{ApiError, Client, Group, GroupWrite, Reply};

impl Client {
    pub async fn get_group(&self, _id: &str) -> Result<Reply<Group>, ApiError> {
        todo!()
    }
    pub async fn create_group(
        &self,
        _name: &str,
        _description: &str,
    ) -> Result<Reply<Group>, ApiError> {
        todo!()
    }
    pub async fn update_group(
        &self,
        _id: &str,
        _write: &GroupWrite<'_>,
    ) -> Result<Reply<Group>, ApiError> {
        todo!()
    }
}
