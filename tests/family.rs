//! The TUILiveKit family cases (harness/family_cases.rs) against every adapter, over real
//! sockets.

tencent_webhook_conformance::family_suite!(Axum);
tencent_webhook_conformance::family_suite!(Actix);
tencent_webhook_conformance::family_suite!(Warp);
