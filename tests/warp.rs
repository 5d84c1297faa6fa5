//! The conformance suite (harness/cases.rs) against the warp adapter, over real sockets.

tencent_webhook_conformance::conformance_suite!(Warp);
