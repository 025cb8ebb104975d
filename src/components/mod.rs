pub mod dialog;
pub mod layout;
pub mod load;
pub mod paged_list;
pub mod pagination;
pub mod version_watch;
