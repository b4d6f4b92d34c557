pub mod current_user;
pub mod done;
pub mod feedback;
pub mod list;
pub mod revealed;
pub mod settings_tabs;
pub mod url;
