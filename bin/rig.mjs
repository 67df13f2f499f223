#!/usr/bin/env node
// Entry point: the TypeScript CLI, from its cached bundle (bin/cli-bundle.mjs) or through tsx; no build step.
import { cliModule } from './cli-bundle.mjs';

const { main } = await import(await cliModule());
process.exitCode = await main(process.argv.slice(2));
