DROP TABLE IF EXISTS billing_lines_staging;
DROP TABLE IF EXISTS billing_lines;
