//! The overview's charts: the game's health over the range in the URL, with
//! what operators did marked on the same time axis. Pointing at a chart, or
//! focusing it and using the arrow keys, reads out one moment across all four;
//! the same figures are offered as a table for screen readers.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use wasm_bindgen::JsCast;

use std::fmt::Write;

use crate::infra::api::types::{History, Stat};
use crate::infra::time::parse_rfc3339;
use crate::pages::audit::describe;
use crate::pages::overview::chart::{Frame, HEIGHT, WIDTH};
use crate::pages::overview::history::{self, range_param, HistoryStore, RANGES};
use crate::pages::overview::ticks::{clock, time_ticks, value_ticks};
use crate::routes::Route;
use crate::ui::format;
use crate::ui::load::LoadError;
use crate::ui::markup::{element, escape};

// Indexes into `Bucket::stats`, in the order of `types::SERIES`.
const TICK_RATE: usize = 0;
const ACTUAL_RATE: usize = 1;
const TICKS_BEHIND: usize = 2;
const TICK_DURATION: usize = 3;
const PLAYERS_ONLINE: usize = 4;

#[component]
pub fn Charts() -> impl IntoView {
    let query = use_query_map();
    let range = Memo::new(move |_| range_param(query.read().get("range").as_deref()));
    let store = history::follow(range);
    // A memo: the charts are built once per range and their paths follow the data,
    // so a focused chart keeps focus through updates.
    let loaded = Memo::new(move |_| store.shown.with(Option::is_some));
    let retry = Callback::new(move |_| store.retry());
    view! {
        <section class="history" aria-labelledby="history-title">
            <div class="history-head">
                <h2 id="history-title">"History"</h2>
                <nav class="ranges action-bar" aria-label="Chart range">
                    {RANGES.map(|(r, label)| view! {
                        <a href=format!("{}?range={r}", Route::Overview.href()) title=label aria-current=move || (range.get() == r).then_some("true")>{r}</a>
                    })}
                </nav>
            </div>
            {move || if loaded.get() {
                view! { <ChartGrid store /> }.into_any()
            } else if let Some(error) = store.error.get() {
                view! { <LoadError error on_retry=retry /> }.into_any()
            } else {
                view! { <p class="loading" aria-busy="true">"Loading the history…"</p> }.into_any()
            }}
        </section>
    }
}

/// One of the small multiples.
struct Chart {
    title: &'static str,
    /// Appended to each value on its axis.
    unit: &'static str,
    /// The figure drawn.
    series: usize,
    /// The figures its scale must fit (the tick rate chart shows the configured rate too).
    scale: &'static [usize],
    /// Galaxy's own panels' thresholds: warning above the first, critical above the second.
    zones: Option<(f64, f64)>,
    /// What the dashes and shading mean, in words beside the title.
    legend: &'static str,
}

const CHARTS: [Chart; 4] = [
    Chart {
        title: "Tick rate",
        unit: "/s",
        series: ACTUAL_RATE,
        scale: &[TICK_RATE, ACTUAL_RATE],
        zones: None,
        legend: "dashed: configured · shaded: under 90 % of it",
    },
    Chart {
        title: "Ticks behind",
        unit: "",
        series: TICKS_BEHIND,
        scale: &[TICKS_BEHIND],
        zones: Some((1.0, 5.0)),
        legend: "shaded: warning over 1, critical over 5",
    },
    Chart {
        title: "Tick duration",
        unit: " ms",
        series: TICK_DURATION,
        scale: &[TICK_DURATION],
        zones: Some((500.0, 900.0)),
        legend: "shaded: warning over 500 ms, critical over 900 ms",
    },
    Chart {
        title: "Players online",
        unit: "",
        series: PLAYERS_ONLINE,
        scale: &[PLAYERS_ONLINE],
        zones: None,
        legend: "",
    },
];

/// Galaxy's panel shows the actual tick rate green above this share of the configured one.
const HEALTHY_RATE_SHARE: f64 = 0.9;

/// Time labels closer than this to either end of the canvas would spill out of
/// the chart: their gridline stays, their label goes.
const LABEL_MARGIN: i64 = 30;

#[component]
fn ChartGrid(store: HistoryStore) -> impl IntoView {
    let cursor = RwSignal::new(None::<usize>);
    let shown = store.shown;
    let count = move || shown.with(|h| h.as_ref().map_or(0, |h| h.buckets.len()));
    let step = move |ev: leptos::ev::KeyboardEvent| {
        let last = count().saturating_sub(1);
        let next = match (ev.key().as_str(), cursor.get_untracked()) {
            ("ArrowLeft", Some(i)) => i.saturating_sub(1),
            ("ArrowRight", Some(i)) => (i + 1).min(last),
            ("ArrowLeft" | "ArrowRight" | "End", _) => last,
            ("Home", _) => 0,
            ("Escape", _) => {
                cursor.set(None);
                return;
            }
            _ => return,
        };
        ev.prevent_default();
        cursor.set((count() > 0).then_some(next));
    };
    // The charts share one time axis and one width, so where the pointer is across
    // any of them is the same moment.
    let point = move |ev: leptos::ev::MouseEvent| {
        // The browser also sends a move when the page changes under a resting pointer;
        // that must not take the cursor from the keyboard.
        if ev.movement_x() == 0 && ev.movement_y() == 0 {
            return;
        }
        // Across the plotted area of the chart pointed at, not its axis labels.
        let Some(area) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|t| t.closest(".chart").ok().flatten())
            .and_then(|c| c.query_selector("svg.area").ok().flatten())
        else {
            return;
        };
        let rect = area.get_bounding_client_rect();
        let fraction = (f64::from(ev.client_x()) - rect.left()) / rect.width().max(1.0);
        let i = shown.with_untracked(|h| {
            h.as_ref().and_then(|h| {
                Frame::new(h.from, h.to, h.bucket_seconds, &[], &[]).nearest(&h.buckets, fraction)
            })
        });
        cursor.set(i);
    };
    let edges = move |pick: fn(&History) -> i64| {
        move || shown.with(|h| h.as_ref().map(|h| format::local_time(pick(h))))
    };
    view! {
        <div
            class="charts"
            tabindex="0"
            role="group"
            aria-label="Charts of the game's health: arrow keys step through time, the figures are read out below"
            on:keydown=step
            on:mousemove=point
            on:mouseleave=move |_| cursor.set(None)
            inner_html=move || shown.with(|h| h.as_ref().map(|h| charts_markup(h, cursor.get())))
        ></div>
        <p class="chart-axis"><span>{edges(|h| h.from)}</span><span>{edges(|h| h.to)}</span></p>
        <p class="readout" aria-live="polite" data-testid="chart-readout">
            {move || shown.with(|h| match (h, cursor.get()) {
                (Some(h), Some(i)) if i < h.buckets.len() => describe_bucket(h, i),
                _ => "Point at a chart, or focus the charts and use the arrow keys, to read the figures and events of a moment.".to_owned(),
            })}
        </p>
        <h3>"Events in this range"</h3>
        <ol class="events" data-testid="events" inner_html=move || shown.with(|h| h.as_ref().map(events_markup))></ol>
        <details class="history-table">
            <summary>"The figures as a table"</summary>
            <table class="data">
                <caption>"Per time slice: average, with minimum and maximum in brackets"</caption>
                <thead>
                    <tr>
                        <th scope="col">"From"</th>
                        <th scope="col">"Tick rate (configured)"</th>
                        <th scope="col">"Ticks behind"</th>
                        <th scope="col">"Tick duration (ms)"</th>
                        <th scope="col">"Players online"</th>
                        <th scope="col">"State"</th>
                    </tr>
                </thead>
                <tbody inner_html=move || shown.with(|h| h.as_ref().map(table_markup))></tbody>
            </table>
        </details>
    }
}

/// Every chart as SVG: paused time, gridlines, threshold zones, the band
/// between minimum and maximum, the average (and the configured rate), a rule
/// per event and one at the cursor; its value and time labels beside it.
fn charts_markup(h: &History, cursor: Option<usize>) -> String {
    let mut out = String::new();
    let cursor = cursor.and_then(|i| h.buckets.get(i));
    let times = time_ticks(h.from, h.to, format::local_offset_minutes);
    for chart in &CHARTS {
        let f = Frame::new(h.from, h.to, h.bucket_seconds, &h.buckets, chart.scale);
        let values = value_ticks(f.top);
        let _ = write!(
            out,
            "<figure class=\"chart\" data-testid=\"chart\"><figcaption>{}<span class=\"chart-legend\">{}</span></figcaption>\
             <div class=\"plot\"><svg class=\"value-axis\" aria-hidden=\"true\">",
            chart.title, chart.legend,
        );
        for &v in &values {
            let _ = write!(
                out,
                "<text x=\"100%\" y=\"{}%\" dy=\"0.32em\">{}{}</text>",
                f.y(v) * 100 / HEIGHT,
                format::decimal(v),
                chart.unit
            );
        }
        let _ = write!(
            out,
            "</svg><svg class=\"area\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" preserveAspectRatio=\"none\" aria-hidden=\"true\">\
             <path class=\"paused\" d=\"{}\"/><path class=\"grid\" d=\"{}\"/>",
            f.paused(&h.buckets),
            f.grid(&values, &times),
        );
        if let Some((warning, critical)) = chart.zones {
            let _ = write!(
                out,
                "<path class=\"zone warning\" d=\"{}\"/><path class=\"zone critical\" d=\"{}\"/>",
                f.zone(warning, critical),
                f.zone(critical, f64::INFINITY),
            );
        }
        if chart.series == ACTUAL_RATE {
            let _ = write!(
                out,
                "<path class=\"zone warning\" d=\"{}\"/>",
                f.under(&h.buckets, TICK_RATE, HEALTHY_RATE_SHARE)
            );
        }
        let _ = write!(
            out,
            "<path class=\"band\" d=\"{}\"/>",
            f.band(&h.buckets, chart.series),
        );
        if chart.series == ACTUAL_RATE {
            let _ = write!(
                out,
                "<path class=\"configured\" d=\"{}\"/>",
                f.line(&h.buckets, TICK_RATE, |s| s.avg)
            );
        }
        let _ = write!(
            out,
            "<path class=\"line\" d=\"{}\"/>",
            f.line(&h.buckets, chart.series, |s| s.avg)
        );
        for e in &h.events {
            if let Some(at) = parse_rfc3339(&e.at) {
                let _ = write!(
                    out,
                    "<path class=\"marker\" data-testid=\"marker\" data-action=\"{}\" d=\"{}\"/>",
                    escape(&e.action),
                    f.rule(at)
                );
            }
        }
        if let Some(b) = cursor {
            let _ = write!(
                out,
                "<path class=\"cursor\" d=\"{}\"/>",
                f.rule(b.at + f.bucket / 2)
            );
        }
        out.push_str("</svg><svg class=\"time-axis\" aria-hidden=\"true\">");
        for &t in &times {
            let x = f.x(t);
            if (LABEL_MARGIN..=WIDTH - LABEL_MARGIN).contains(&x) {
                let _ = write!(
                    out,
                    "<text x=\"{}.{}%\" y=\"1em\">{}</text>",
                    x / 10,
                    x % 10,
                    clock(t, format::local_offset_minutes(t))
                );
            }
        }
        out.push_str("</svg></div></figure>");
    }
    out
}

/// The events, newest first.
fn events_markup(h: &History) -> String {
    if h.events.is_empty() {
        return "<li class=\"none\">No pauses, config changes, snapshots or deploys in this range.</li>".to_owned();
    }
    describe::items(h.events.iter().rev())
}

fn table_markup(h: &History) -> String {
    let mut out = String::new();
    for b in &h.buckets {
        let s = &b.stats;
        out.push_str("<tr>");
        for cell in [
            format::local_time(b.at),
            format!(
                "{} ({})",
                spread(&s[ACTUAL_RATE], 2),
                format::fixed(s[TICK_RATE].avg, 2)
            ),
            spread(&s[TICKS_BEHIND], 0),
            spread(&s[TICK_DURATION], 1),
            spread(&s[PLAYERS_ONLINE], 0),
            (if b.paused { "Paused" } else { "Running" }).to_owned(),
        ] {
            element(&mut out, "td", "", &cell);
        }
        out.push_str("</tr>");
    }
    out
}

/// "9.8 (9.1–10.0)": a bucket's average with its extremes.
fn spread(s: &Stat, decimals: u32) -> String {
    format!(
        "{} ({}–{})",
        format::fixed(s.avg, decimals),
        format::fixed(s.min, decimals),
        format::fixed(s.max, decimals)
    )
}

/// Everything known about one bucket, and the events in it, in one sentence.
fn describe_bucket(h: &History, i: usize) -> String {
    let b = &h.buckets[i];
    let s = &b.stats;
    let mut text = format!(
        "{}: tick rate {}/s of {}/s configured, ticks behind {}, tick duration {} ms, players online {}{}",
        format::local_time(b.at),
        spread(&s[ACTUAL_RATE], 2),
        format::fixed(s[TICK_RATE].avg, 2),
        spread(&s[TICKS_BEHIND], 0),
        spread(&s[TICK_DURATION], 1),
        spread(&s[PLAYERS_ONLINE], 0),
        if b.paused { ", paused" } else { "" },
    );
    let end = b.at + h.bucket_seconds;
    for e in &h.events {
        if parse_rfc3339(&e.at).is_some_and(|at| (b.at..end).contains(&at)) {
            text = format!("{text}. {}", describe::one_line(e));
        }
    }
    text
}
