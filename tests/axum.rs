//! The conformance suite (harness/cases.rs) against the axum adapter, over real sockets.

tencent_webhook_conformance::conformance_suite!(Axum);
