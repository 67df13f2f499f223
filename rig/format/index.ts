// The rig's file formats: reading YAML/JSON against a zod schema with positioned problems, and the one
// `{{name}}` template grammar.
export { checkValue, parseWithSchema, positionProblems, readText, readWithSchema, type PathProblem } from './yaml.ts';
export { closest } from './describe.ts';
export { editDistance } from './distance.ts';
export { fillTemplate, fillVars, leadingPlaceholder, placeholders, usesPlaceholder } from './template.ts';
export { FormatError, formatProblem, type Problem } from '../errors.ts';
export { compareVersions, nearestOf } from './versions.ts';
export { compilePattern, patternProblem, PatternError, type Pattern } from './pattern.ts';
export { topicMatches } from './topic.ts';
