//! What the command palette offers and how it answers what is typed: the pages,
//! players and actions a role may use, matched and ranked, and the keys it
//! takes. Pure, so it is tested natively.

use crate::infra::session::Role;
use crate::routes::Route;

#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Go(Route),
    Player { id: String, username: String },
    Pause,
    Resume,
    Snapshot,
    NewSchedule,
    MessagePlayers,
    LogOut,
}

/// The palette's groups, in the order it shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Pages,
    Players,
    Actions,
}

impl Section {
    pub const ALL: [Section; 3] = [Section::Pages, Section::Players, Section::Actions];

    pub fn label(self) -> &'static str {
        match self {
            Section::Pages => "Pages",
            Section::Players => "Players",
            Section::Actions => "Actions",
        }
    }
}

/// The pages of the navigation, named as the sidebar and the top bar name them.
const PAGES: [(Route, &str); 9] = [
    (Route::Overview, "Overview"),
    (Route::Config, "Runtime config"),
    (Route::Snapshots, "Snapshots"),
    (Route::Schedules, "Schedules"),
    (Route::Players, "Players"),
    (Route::Services, "Services"),
    (Route::Audit, "Audit log"),
    (Route::Accounts, "Accounts"),
    (Route::Password, "Your sign-in"),
];

impl Command {
    pub fn label(&self) -> String {
        let action = match self {
            Command::Go(route) => {
                return PAGES
                    .iter()
                    .find(|(r, _)| r == route)
                    .map_or("Page", |(_, label)| label)
                    .to_owned()
            }
            Command::Player { username, .. } => return username.clone(),
            Command::Pause => "Pause the game",
            Command::Resume => "Resume the game",
            Command::Snapshot => "Take a snapshot",
            Command::NewSchedule => "New schedule",
            Command::MessagePlayers => "Message players",
            Command::LogOut => "Log out",
        };
        action.to_owned()
    }

    pub fn section(&self) -> Section {
        match self {
            Command::Go(_) => Section::Pages,
            Command::Player { .. } => Section::Players,
            _ => Section::Actions,
        }
    }

    /// Stays the same while the list changes around it: what keeps the operator's
    /// choice when players arrive above it.
    pub fn key(&self) -> String {
        match self {
            Command::Go(route) => format!("page:{}", route.path()),
            Command::Player { id, .. } => format!("player:{id}"),
            other => format!("action:{}", other.label()),
        }
    }
}

/// The pages and actions `role` may use (`None`: not known yet, so only what anyone may);
/// `paused` chooses between pausing and resuming, neither while the status is unknown.
pub fn offered(role: Option<Role>, paused: Option<bool>) -> Vec<Command> {
    let may = |needs: Role| needs == Role::Viewer || role.is_some_and(|r| r >= needs);
    let mut commands: Vec<Command> = PAGES
        .iter()
        .filter(|(route, _)| may(route.needs()))
        .map(|(route, _)| Command::Go(route.clone()))
        .collect();
    if may(Role::Operator) {
        commands.extend(paused.map(|p| if p { Command::Resume } else { Command::Pause }));
        commands.extend([
            Command::Snapshot,
            Command::NewSchedule,
            Command::MessagePlayers,
        ]);
    }
    commands.push(Command::LogOut);
    commands
}

/// How well `label` matches `query`, lower is better; `None`: not at all. The whole
/// label's start beats a word's start, which beats any substring, which beats the
/// query's letters in order with the fewest letters between them.
pub fn score(label: &str, query: &str) -> Option<usize> {
    let query = query.trim().to_lowercase();
    if query.is_empty() {
        return Some(0);
    }
    let label = label.to_lowercase();
    if label.starts_with(&query) {
        return Some(0);
    }
    if let Some(at) = label.find(&query) {
        let word_start = label[..at].ends_with(|c: char| !c.is_alphanumeric());
        return Some(if word_start { 1 } else { 2 });
    }
    let mut rest = label.chars().skip_while(|c| !query.starts_with(*c));
    let mut between = 0;
    for wanted in query.chars().filter(|c| !c.is_whitespace()) {
        loop {
            match rest.next() {
                Some(c) if c == wanted => break,
                Some(_) => between += 1,
                None => return None,
            }
        }
    }
    Some(3 + between)
}

/// What the palette lists for `query`: the offered pages and actions that match, best
/// first within their section, and the players the gateway found that still match (it
/// may have answered an earlier, shorter query), in its order.
pub fn results(offered: &[Command], players: &[Command], query: &str) -> Vec<Command> {
    let mut ranked: Vec<(Section, usize, &Command)> = offered
        .iter()
        .filter_map(|c| score(&c.label(), query).map(|s| (c.section(), s, c)))
        .collect();
    let (typed, lower) = (query.trim(), query.trim().to_lowercase());
    let still_matches = |p: &&Command| match p {
        Command::Player { id, username } => {
            id.eq_ignore_ascii_case(typed) || username.to_lowercase().contains(&lower)
        }
        _ => false,
    };
    ranked.extend(
        players
            .iter()
            .filter(still_matches)
            .map(|p| (Section::Players, 0, p)),
    );
    let order = |s: Section| Section::ALL.iter().position(|x| *x == s);
    // Stable: equal scores keep the navigation's order and the gateway's.
    ranked.sort_by_key(|(section, score, _)| (order(*section), *score));
    ranked.into_iter().map(|(_, _, c)| c.clone()).collect()
}

/// What the polite live region says about the results.
pub fn announcement(count: usize) -> String {
    match count {
        0 => "No results".to_owned(),
        1 => "1 result".to_owned(),
        n => format!("{n} results"),
    }
}

/// Whether a key press is the palette's shortcut: Ctrl+K, or Cmd+K on a Mac. `code`
/// stands in for `key` on layouts whose K key types another script.
pub fn is_shortcut(key: &str, code: &str, ctrl: bool, meta: bool, alt: bool, shift: bool) -> bool {
    let k = if key.is_ascii() {
        key.eq_ignore_ascii_case("k")
    } else {
        code == "KeyK"
    };
    k && (ctrl || meta) && !alt && !shift
}

/// The option a key moves to among `len`, from `current`; `None`: not a key that moves.
/// The arrows wrap round, as in the consoles operators know.
pub fn moved(key: &str, current: usize, len: usize) -> Option<usize> {
    let last = len.checked_sub(1)?;
    let current = current.min(last);
    Some(match key {
        "ArrowDown" if current == last => 0,
        "ArrowDown" => current + 1,
        "ArrowUp" if current == 0 => last,
        "ArrowUp" => current - 1,
        "Home" => 0,
        "End" => last,
        _ => return None,
    })
}

/// Whether `text` is a player id (a UUID), which the gateway's search by name would not find.
pub fn looks_like_id(text: &str) -> bool {
    let text = text.trim();
    text.len() == 36
        && text.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(commands: &[Command]) -> Vec<String> {
        commands.iter().map(Command::label).collect()
    }

    fn player(id: &str, username: &str) -> Command {
        Command::Player {
            id: id.to_owned(),
            username: username.to_owned(),
        }
    }

    #[test]
    fn each_role_is_offered_what_it_may_use() {
        let viewer = labels(&offered(Some(Role::Viewer), Some(false)));
        assert!(viewer.contains(&"Audit log".to_owned()));
        assert!(viewer.contains(&"Your sign-in".to_owned()));
        assert!(!viewer.contains(&"Accounts".to_owned()));
        assert!(!viewer.contains(&"Pause the game".to_owned()));
        assert!(!viewer.contains(&"Take a snapshot".to_owned()));
        assert_eq!(viewer.last().map(String::as_str), Some("Log out"));
        assert_eq!(labels(&offered(None, Some(false))), viewer);

        let operator = labels(&offered(Some(Role::Operator), Some(false)));
        for action in [
            "Pause the game",
            "Take a snapshot",
            "New schedule",
            "Message players",
        ] {
            assert!(operator.contains(&action.to_owned()), "{action}");
        }
        assert!(!operator.contains(&"Resume the game".to_owned()));
        assert!(!operator.contains(&"Accounts".to_owned()));

        let admin_paused = labels(&offered(Some(Role::Admin), Some(true)));
        assert!(admin_paused.contains(&"Accounts".to_owned()));
        assert!(admin_paused.contains(&"Resume the game".to_owned()));
        assert!(!admin_paused.contains(&"Pause the game".to_owned()));

        let unknown_status = labels(&offered(Some(Role::Operator), None));
        assert!(!unknown_status.contains(&"Pause the game".to_owned()));
        assert!(!unknown_status.contains(&"Resume the game".to_owned()));
    }

    #[test]
    fn every_page_of_the_navigation_is_named() {
        for (route, label) in PAGES {
            assert_eq!(Command::Go(route).label(), label);
        }
    }

    #[test]
    fn a_start_beats_a_word_beats_a_substring_beats_letters_in_order() {
        assert_eq!(score("Snapshots", "snap"), Some(0));
        assert_eq!(score("Take a snapshot", "SNAP"), Some(1));
        assert_eq!(score("Runtime config", "time"), Some(2));
        let (close, loose) = (
            score("Runtime config", "rcon"),
            score("Runtime config", "rcfg"),
        );
        assert!(close.is_some_and(|s| s > 2), "{close:?}");
        assert!(close < loose && loose.is_some(), "{close:?} {loose:?}");
        assert_eq!(score("Pause the game", "pause game"), Some(3 + 5));
        assert_eq!(score("Audit log", "agl"), None, "in order only");
        assert_eq!(score("Overview", "ovx"), None);
        assert_eq!(score("Overview", "  "), Some(0));
        assert_eq!(score("Your sign-in", "sign"), Some(1));
    }

    #[test]
    fn results_are_grouped_and_ranked_within_their_group() {
        let offered = offered(Some(Role::Operator), Some(false));
        let players = [player("p-1", "Snapper"), player("p-2", "Nova")];
        let found = labels(&results(&offered, &players, "snap"));
        assert_eq!(found, ["Snapshots", "Snapper", "Take a snapshot"]);
        let everything = results(&offered, &[], "");
        assert_eq!(everything, offered, "nothing typed: everything, in order");
        assert!(results(&offered, &players, "zzz").is_empty());
    }

    #[test]
    fn players_answered_for_an_earlier_query_show_only_while_they_match() {
        let players = [player("p-1", "Nova Prime"), player("p-2", "Novak")];
        assert_eq!(
            labels(&results(&[], &players, "nova")),
            ["Nova Prime", "Novak"]
        );
        assert_eq!(labels(&results(&[], &players, "novak")), ["Novak"]);
        assert_eq!(labels(&results(&[], &players, "P-1")), ["Nova Prime"]);
    }

    #[test]
    fn keys_are_stable_and_distinct() {
        let all = offered(Some(Role::Admin), Some(false));
        let mut keys: Vec<String> = all.iter().map(Command::key).collect();
        keys.push(player("p-1", "Overview").key());
        let count = keys.len();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), count);
    }

    #[test]
    fn the_live_region_counts_the_results() {
        assert_eq!(announcement(0), "No results");
        assert_eq!(announcement(1), "1 result");
        assert_eq!(announcement(7), "7 results");
    }

    #[test]
    fn ctrl_or_cmd_k_opens_and_nothing_else() {
        assert!(is_shortcut("k", "KeyK", true, false, false, false));
        assert!(is_shortcut("K", "KeyK", false, true, false, false));
        assert!(is_shortcut("л", "KeyK", true, false, false, false));
        assert!(!is_shortcut("k", "KeyK", false, false, false, false));
        assert!(!is_shortcut("k", "KeyK", true, false, true, false));
        assert!(!is_shortcut("k", "KeyK", true, false, false, true));
        assert!(!is_shortcut("j", "KeyK", true, false, false, false));
        assert!(!is_shortcut("/", "Slash", false, false, false, false));
    }

    #[test]
    fn arrows_wrap_and_home_end_jump() {
        assert_eq!(moved("ArrowDown", 0, 3), Some(1));
        assert_eq!(moved("ArrowDown", 2, 3), Some(0));
        assert_eq!(moved("ArrowUp", 0, 3), Some(2));
        assert_eq!(moved("ArrowUp", 2, 3), Some(1));
        assert_eq!(moved("Home", 2, 3), Some(0));
        assert_eq!(moved("End", 0, 3), Some(2));
        assert_eq!(
            moved("ArrowDown", 9, 3),
            Some(0),
            "past the end: from the last"
        );
        assert_eq!(moved("ArrowDown", 0, 0), None);
        assert_eq!(moved("Enter", 0, 3), None);
    }

    #[test]
    fn only_a_whole_uuid_is_an_id() {
        assert!(looks_like_id("0b7c6f0e-3f9a-4c41-9d2e-2f0d7c1a5b33"));
        assert!(looks_like_id(" 0B7C6F0E-3F9A-4C41-9D2E-2F0D7C1A5B33 "));
        assert!(!looks_like_id("0b7c6f0e-3f9a-4c41-9d2e-2f0d7c1a5b3"));
        assert!(!looks_like_id("0b7c6f0e-3f9a-4c41-9d2e-2f0d7c1a5b3x"));
        assert!(!looks_like_id("0b7c6f0e03f9a-4c41-9d2e-2f0d7c1a5b33"));
        assert!(!looks_like_id("nova"));
    }
}
