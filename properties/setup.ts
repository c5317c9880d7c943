/**
 * Seed discipline (as fast-check does it): RACEWALK_SEED fixes fast-check's seed for every
 * property, so a CI failure is reproducible from the log (fast-check prints the seed too).
 */
import fc from 'fast-check';

const seed = process.env.RACEWALK_SEED;
if (seed !== undefined && seed !== '') fc.configureGlobal({ seed: Number(seed) });
