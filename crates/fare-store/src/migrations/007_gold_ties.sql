-- A pairwise sample's ground truth (`samples.gold_verdict`) may now be `tie`: the data set calls
-- neither response better, which is no FARE verdict. The schema does not change; its version
-- does, so that an older FARE Lens refuses the file as too new instead of reading `tie` as a
-- corrupt verdict.
SELECT 1;
