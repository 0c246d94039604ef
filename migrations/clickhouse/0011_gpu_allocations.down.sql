DROP TABLE IF EXISTS gpu_allocations_staging;
DROP TABLE IF EXISTS gpu_allocations;
