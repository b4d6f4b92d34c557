pub mod feedback;
pub mod layout;
pub mod list;
pub mod url;
