CREATE TABLE "personal_models" ("id" INTEGER PRIMARY KEY, "model_type" TEXT NOT NULL);
