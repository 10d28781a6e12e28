// The pure sync engine: state, inputs, effects and the step function.
export * from './constants.ts';
export * from './json.ts';
export * from './random.ts';
export * from './step.ts';
export * from './types.ts';
export * from './summary.ts';
