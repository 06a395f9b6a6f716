ALTER TABLE "cameras" ADD COLUMN "uuid" TEXT;
