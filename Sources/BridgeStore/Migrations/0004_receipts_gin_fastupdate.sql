-- Unmatched receipts are looked up by id key for every recorded submit response. With GIN's
-- default fast update, new entries wait in an unsorted pending list that every lookup scans: under
-- load (thousands of receipts a minute) each lookup took milliseconds and recording submit
-- responses fell behind. Without it, an insert updates the index at once and lookups stay fast.
ALTER INDEX receipts_unmatched SET (fastupdate = off);
