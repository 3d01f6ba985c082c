// Which sources are simulated: the synthetic load names its sources `sim-<system>`, so every view (stats,
// dashboard, CLI) tells them from real logs by the name alone, and real logs may not take such a name.

export const SIMULATED_PREFIX = 'sim-';

/** The source the simulation gives a system's lines (`web` -> `sim-web`). */
export const simulatedSource = (system: string): string => `${SIMULATED_PREFIX}${system}`;

export const isSimulatedSource = (source: string): boolean => source.startsWith(SIMULATED_PREFIX);
