/**
 * Simulator family B (docs/simulators-family-b.md): people, phones and physiology written from other
 * published models than family A (clients/device/*.ts), for leave-one-family-out evaluation.
 */
export { makePersonB, dayB, type PersonB, type Posture, type Grip } from './person.ts';
export { simulateSessionB, type SimulatedSessionB, type TruthB } from './session.ts';
