//! Network signals: client IP resolution through trusted proxies, and CIDR sets for zones and threat-intel lists.
