//! The meter's alerts without anyone asking: a task of the server looks at the usage every
//! `alert_interval`, and when new usage arrived since it last looked (the store's usage mark
//! moved) runs the report over the default window and opens the cases of its alerts, as `GET
//! /usage/report` does. An ingest stays as cheap as storing its records; the report's full pass
//! over the usage runs at most once per interval, whatever the ingest rate.

use std::sync::{Arc, Mutex};

use chipwarden_store::Store;

use crate::api::meter::DEFAULT_WINDOW_DAYS;
use crate::state::{AppState, Inner};

/// Who the cases and audit entries of these alerts are logged as.
pub const ACTOR: &str = "meter-alerts";

/// Runs until the server stops (the task is aborted then).
pub async fn watch(state: AppState) {
    let mut seen: Option<i64> = None;
    let store: Arc<Mutex<Option<Store>>> = Arc::new(Mutex::new(None));
    loop {
        tokio::time::sleep(state.inner.config.alert_interval).await;
        let inner = Arc::clone(&state.inner);
        let store = Arc::clone(&store);
        let last = seen;
        let checked = tokio::task::spawn_blocking(move || {
            let mut slot = store.lock().map_err(|_| "the alert store's lock is poisoned".to_owned())?;
            if slot.is_none() {
                let location = inner.config.store_location().map_err(|e| e.to_string())?;
                *slot = Some(Store::open_url(&location).map_err(|e| e.to_string())?);
            }
            let store = slot.as_mut().ok_or_else(|| "the alert store is not open".to_owned())?;
            check(store, &inner, last)
        })
        .await;
        match checked {
            Ok(Ok(mark)) => seen = Some(mark),
            Ok(Err(e)) => tracing::error!(error = %e, "usage alerts: the check failed; it runs again"),
            Err(e) => tracing::error!(error = %e, "usage alerts: the check did not finish"),
        }
    }
}

/// Opens the cases of the report's alerts if the usage changed since `last`; the mark it saw.
fn check(store: &mut Store, inner: &Inner, last: Option<i64>) -> Result<i64, String> {
    let mark = store.usage_mark().map_err(|e| e.to_string())?;
    if last == Some(mark) || (last.is_none() && mark == 0) {
        return Ok(mark);
    }
    let window =
        chipwarden_meter::Window::ending(jiff::Timestamp::now(), DEFAULT_WINDOW_DAYS).map_err(|e| e.to_string())?;
    let report = chipwarden_service::meter::report(store, &inner.catalog, window).map_err(|e| e.to_string())?;
    let auditor = inner.auditor(ACTOR).map_err(|e| e.to_string())?;
    let opened = chipwarden_service::cases::record_alerts(store, &auditor, &report).map_err(|e| e.to_string())?;
    if !opened.is_empty() {
        tracing::info!(cases = opened.len(), "usage alerts: cases opened or updated");
    }
    Ok(mark)
}
