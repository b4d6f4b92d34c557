pub mod current_user;
pub mod feedback;
pub mod list;
pub mod url;
