/**
 * Device simulators for biological signatures (docs/liveness.md §Simulators). Library API:
 *
 *   const person = makePerson('alice');                      // deterministic per-person physiology
 *   const dev = new DeviceSession(person, ['hrv', 'motion'], 'session-seed');
 *   every ~100 ms: const chunk = dev.advance(nowMs, revealedSoFar);   // samples in [prev, nowMs)
 *
 *   simulateSession(stimulus, person, modalities, { seed })  // whole session, honest arrivals
 *   attack(kind, { stimulus, victim, modality, seed })       // presentation attacks (ATTACK_KINDS)
 *
 * The simulators only ever read the reveal events they are given, never the stimulus object, so a
 * CLI can drive them in real time from what the transport has delivered.
 */
export { makePerson, type SimPerson, type HrvPerson, type MotionPerson, type TypingPerson, type GazePerson, type VoicePerson, type EdaPerson } from './person.ts';
export { Rng, PinkNoise } from './rng.ts';
export { SessionBody, type ModalitySimulator } from './body.ts';
export { DeviceSession, simulateSession, honestArrivals, sampleTimes, type SimulateOptions, type SimulatedSession } from './session.ts';
export { HrvSimulator } from './hrv.ts';
export { MotionSimulator } from './motion.ts';
export { TypingSimulator } from './typing.ts';
export { GazeSimulator, DEG_PER_UNIT } from './gaze.ts';
export { VoiceSimulator } from './voice.ts';
export { EdaSimulator } from './eda.ts';
export { attack, restrict, ATTACK_KINDS, type AttackKind, type AttackContext, type AttackAttempt } from './attacks.ts';
