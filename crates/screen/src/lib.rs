//! ChipWarden screen engine: explainable restricted-party name matching across scripts, and ownership.
