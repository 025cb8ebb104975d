use std::time::Duration;

use gloo_net::http::Method;
use leptos::prelude::*;

use crate::infra::api::types::{GameStatus, Snapshot};
use crate::infra::api::use_api;
use crate::infra::mutation::Mutation;
use crate::infra::polling::page_visible;
use crate::infra::session::{use_session, Role};
use crate::pages::overview::status::use_game_status;
use crate::routes::Route;
use crate::ui::dialog::{reason_body, ConfirmDialog, Modal};
use crate::ui::format;
use crate::ui::paged_list::PagedList;
use crate::ui::toast::use_toasts;

const AUTO_REFRESH: Duration = Duration::from_secs(10);

/// What the operator is told once a snapshot they asked for is taken (here or elsewhere).
pub fn taken(s: &Snapshot) -> String {
    format!("Snapshot #{} taken at tick {}", s.id, s.tick_number)
}

#[derive(Clone, PartialEq)]
enum Pending {
    /// Restore asked while the game runs: explain, offer to pause first.
    NeedsPause(Snapshot),
    Restore(Snapshot),
    Delete(Snapshot),
}

#[component]
pub fn SnapshotsPage() -> impl IntoView {
    crate::infra::polling::set_title("Snapshots");
    let api = use_api();
    let toasts = use_toasts();
    let game = use_game_status();
    let list = PagedList::<Snapshot>::new(
        "/admin/snapshots",
        Route::Snapshots,
        20,
        game.recoveries(),
        &[],
    );
    // Scheduled snapshots appear without the operator asking: look again now and then,
    // keeping the list on screen (and if the look fails).
    if let Ok(handle) = set_interval_with_handle(
        move || {
            if page_visible() {
                list.refetch_quietly();
            }
        },
        AUTO_REFRESH,
    ) {
        on_cleanup(move || handle.clear());
    }

    let create = Mutation::new();
    let action = Mutation::new();
    let pending = RwSignal::new(None::<Pending>);
    let close = Callback::new(move |_| {
        action.clear();
        pending.set(None);
    });
    let on_create = move |_| {
        create.run(
            api.json::<Snapshot>(Method::POST, "/admin/snapshots", None),
            move |s| {
                toasts.success(taken(&s));
                list.refetch();
            },
        )
    };
    let ask_restore = move |s: Snapshot| {
        action.clear();
        let paused = game
            .latest
            .with_untracked(|g| g.as_ref().is_some_and(|g| g.paused));
        pending.set(Some(if paused {
            Pending::Restore(s)
        } else {
            Pending::NeedsPause(s)
        }));
    };
    let pause_then_confirm = move |s: Snapshot| {
        action.run(
            api.json::<GameStatus>(Method::POST, "/admin/game/pause", None),
            move |status| {
                game.apply(Ok(status));
                toasts.success("Game paused");
                pending.set(Some(Pending::Restore(s)));
            },
        );
    };
    let reason = RwSignal::new(String::new());
    let restore = move |s: Snapshot| {
        let path = format!("/admin/snapshots/{}/restore", s.id);
        action.run(
            api.json::<GameStatus>(Method::POST, path, reason_body(reason)),
            move |status| {
                game.apply(Ok(status));
                toasts.success(format!(
                    "Restored snapshot #{}: the world is back at tick {}",
                    s.id, s.tick_number
                ));
                pending.set(None);
                // The snapshot the gateway took of the world before is in the list now.
                list.refetch();
            },
        );
    };
    let delete = move |s: Snapshot| {
        action.run(
            api.empty(
                Method::DELETE,
                format!("/admin/snapshots/{}", s.id),
                reason_body(reason),
            ),
            move |_| {
                toasts.success(format!("Snapshot #{} deleted", s.id));
                pending.set(None);
                list.refetch();
            },
        );
    };

    // Pinned: kept through retention and safe from Delete until unpinned.
    let pin = move |s: Snapshot| {
        let method = if s.pinned {
            Method::DELETE
        } else {
            Method::PUT
        };
        action.run(
            api.json::<Snapshot>(method, format!("/admin/snapshots/{}/pin", s.id), None),
            move |now| {
                let done = if now.pinned { "pinned" } else { "unpinned" };
                toasts.success(format!("Snapshot #{} {done}", now.id));
                list.refetch();
            },
        );
    };

    let session = use_session();
    let admin_only = move || session.lacks(Role::Admin);

    view! {
        <section class="page">
            <div class="page-head">
                <h1>"Snapshots"</h1>
                <div class="action-bar">
                    {list.refresh_button()}
                    <button type="button" class="button primary" disabled=move || create.busy.get() || session.lacks(Role::Operator) on:click=on_create>
                        {move || if create.busy.get() { "Taking snapshot…" } else { "Take snapshot" }}
                    </button>
                </div>
            </div>
            {move || session.note(Role::Operator, "take snapshots")
                .or_else(|| session.note(Role::Admin, "restore or delete snapshots"))
                .map(|n| view! { <p class="needs">{n}</p> })}
            {move || create.message().get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            {list.view("snapshots", "No snapshots yet. Take one to be able to roll the world back.", move |snapshots| view! {
                <table class="data">
                    <thead>
                        <tr>
                            <th scope="col">"Snapshot"</th>
                            <th scope="col">"Tick"</th>
                            <th scope="col">"Game time"</th>
                            <th scope="col">"Taken"</th>
                            <th scope="col">"Size"</th>
                            <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                        </tr>
                    </thead>
                    <tbody>
                        {snapshots.into_iter().map(|s| {
                            let (for_restore, for_delete, for_pin) = (s.clone(), s.clone(), s.clone());
                            let pinned = s.pinned;
                            view! {
                                <tr>
                                    <td>
                                        {format!("#{}", s.id)}
                                        {pinned.then_some(" · pinned")}
                                        {s.label.map(|l| view! { <span class="sub">{l}</span> })}
                                    </td>
                                    <td class="num">{format::integer(s.tick_number)}</td>
                                    <td>{format::timestamp(&s.game_time)}</td>
                                    <td>
                                        {format::timestamp(&s.created_at)}
                                        <span class="sub">{s.created_by.map_or_else(|| "scheduled".to_owned(), |by| format!("by {by}"))}</span>
                                    </td>
                                    <td class="num">{format::bytes(s.size_bytes)}</td>
                                    <td class="actions">
                                        <button type="button" class="button" disabled=admin_only on:click=move |_| ask_restore(for_restore.clone())>
                                            "Restore"
                                        </button>
                                        <button type="button" class="button" disabled=admin_only on:click=move |_| pin(for_pin.clone())>
                                            {if pinned { "Unpin" } else { "Pin" }}
                                        </button>
                                        <button
                                            type="button"
                                            class="button"
                                            disabled=move || admin_only() || pinned
                                            title=pinned.then_some("Pinned: unpin it to delete it")
                                            on:click=move |_| { action.clear(); pending.set(Some(Pending::Delete(for_delete.clone()))) }
                                        >
                                            "Delete"
                                        </button>
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            }.into_any())}
            {move || pending.get().map(|p| match p {
                Pending::NeedsPause(s) => {
                    let target = s.clone();
                    view! {
                        <Modal title="Pause the game first".to_owned() on_close=close busy=action.busy()>
                            <p>
                                {format!("Snapshot #{} is from tick {}. A snapshot can only be restored while the game is paused.", s.id, format::integer(s.tick_number))}
                            </p>
                            {move || action.message().get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                            <div class="modal-actions">
                                <button type="button" class="button" disabled=action.busy() on:click=move |_| close.run(())>"Cancel"</button>
                                <button type="button" class="button danger" disabled=action.busy() on:click=move |_| pause_then_confirm(target.clone())>
                                    {move || if action.busy.get() { "Pausing…" } else { "Pause the game" }}
                                </button>
                            </div>
                        </Modal>
                    }.into_any()
                }
                Pending::Restore(s) => {
                    let target = s.clone();
                    view! {
                        <ConfirmDialog
                            title=format!("Restore snapshot #{}?", s.id)
                            message=format!(
                                "The world goes back to tick {} (game time {}). A snapshot of the world as it is now is taken first, so restoring that one undoes this.",
                                format::integer(s.tick_number), format::timestamp(&s.game_time)
                            )
                            confirm_label=format!("Restore tick {}", s.tick_number)
                            busy=action.busy()
                            error=action.message()
                            on_confirm=Callback::new(move |_| restore(target.clone()))
                            on_cancel=close
                            reason
                        />
                    }.into_any()
                }
                Pending::Delete(s) => {
                    let target = s.clone();
                    view! {
                        <ConfirmDialog
                            title=format!("Delete snapshot #{}?", s.id)
                            message=format!("The snapshot of tick {} is removed for good.", format::integer(s.tick_number))
                            confirm_label="Delete snapshot".to_owned()
                            busy=action.busy()
                            error=action.message()
                            on_confirm=Callback::new(move |_| delete(target.clone()))
                            on_cancel=close
                            reason
                        />
                    }.into_any()
                }
            })}
        </section>
    }
}
