CREATE TABLE "analytics_events" ("id" INTEGER PRIMARY KEY, "event_type" TEXT NOT NULL);
