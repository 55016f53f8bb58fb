/** BENCH_SCALE=small runs every section on about a tenth of the data, for a quick look. */
export const small = process.env.BENCH_SCALE === 'small'
