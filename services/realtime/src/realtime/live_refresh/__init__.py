"""Live refresh: domain events in; `LiveRefreshContextsUpdated` frames and context versions out."""
