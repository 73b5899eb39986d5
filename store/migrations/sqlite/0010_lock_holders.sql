-- Which process holds each lease (locks.go): its host, its pid, and what
-- tells that process from a later one given the same pid (the kernel's
-- boot, the pid namespace and the process's start time). A lease whose
-- holder died on this host is taken over at once instead of when it runs
-- out. Empty for a lease taken before this.
ALTER TABLE locks ADD COLUMN host TEXT NOT NULL DEFAULT '';
ALTER TABLE locks ADD COLUMN pid INTEGER NOT NULL DEFAULT 0;
ALTER TABLE locks ADD COLUMN process TEXT NOT NULL DEFAULT '';
