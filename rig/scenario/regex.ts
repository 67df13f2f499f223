// The pattern type of every file format (scenario expectations and steps, board profile rules): a string matched
// on the rig's linear-time engine (rig/format/pattern.ts), so no lookaround and no backreferences, refused at load.
import { z } from 'zod';
import { patternProblem } from '../format/pattern.ts';

export const Regex = z
  .string()
  .min(1)
  .superRefine((s, ctx) => {
    const problem = patternProblem(s);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
