//! Local SMSMobileAPI-compatible server. (being written)
