//! Building blocks with no knowledge of Galaxy: dialogs, loading states,
//! paged tables, toasts, the focus, the theme and formatting.

pub mod cursor_paging;
pub mod dialog;
pub mod focus;
pub mod format;
pub mod load;
pub mod markup;
pub mod paged_list;
pub mod theme;
pub mod toast;
