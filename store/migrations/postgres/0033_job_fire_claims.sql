-- A fire time's claim holds only once the run under it has begun: until
-- then it names its claimer and runs out at claim_until, so that a fire
-- whose claimer could not start the job (its lease failed, it died) is
-- run by the next replica to try, or made up at the next start.
-- claim_holder is NULL for a fire taken care of.
ALTER TABLE job_fires ADD COLUMN claim_holder TEXT;
ALTER TABLE job_fires ADD COLUMN claim_until TIMESTAMPTZ;
