//! The front door: the named calls every screen uses ([`api`]) and the gate that holds
//! worker profiles and lets calls through only while one is unlocked ([`gate`]).

pub mod api;
pub mod gate;
