/**
 * Embedded word list for the typing and voice stimuli: common, concrete English words that are easy
 * to read at a glance, typed with a-z only, each with its syllable count (the voice verifier compares
 * energy peaks against it). Order matters: stimulus derivation indexes into this exact list, so it is
 * part of the stimulus format (version 1). Never reorder; append only with a new stimulus version.
 */
const ONE = 'bread chair cloud dream field fish frog glass grape green hand horse house lamp leaf light milk moon mouse night nose park pen plant rain ring road rock rose salt sand ship shoe sky snow song star stone storm sun tree wall wind wolf bird boat book box bridge brush cake card coat corn desk dog door drum duck farm flag fork gate gold hat hill king kite knife lake lock map mask nest oak path pear pig pool queen rope sail seed sheep shelf silk sock spoon stick tent toy train truck wheel whale wood yard bell bone coin';
const TWO = 'apple basket button candle carpet castle cherry circle copper cotton desert dinner doctor dragon engine finger flower forest garden ginger guitar hammer harbor helmet island jacket kettle kitten ladder lemon letter lion marble market meadow mirror monkey mountain napkin needle number ocean paper parrot pencil pepper pillow planet pocket puzzle rabbit river rocket saddle salmon signal silver sister spider summer table tiger ticket timber tunnel turtle valley velvet wagon window winter yellow zebra anchor bottle bucket cabin camel canvas coffee cookie falcon feather harvest honey magnet muffin nickel oven pilot pony purple robot shadow sugar thunder';
const THREE = 'banana bicycle butterfly camera carpenter cinema dinosaur elephant energy example family festival gallery hamburger holiday kangaroo lemonade medicine melody memory microphone mineral museum octopus orchestra paradise piano pineapple potato radio recipe strawberry telescope tomato umbrella vanilla violin volcano animal calendar cucumber galaxy hospital instrument internet jellyfish lavender newspaper parachute pyramid saxophone skeleton souvenir tornado triangle uniform';

export interface ListedWord {
  word: string;
  syllables: number;
}

function build(): ListedWord[] {
  const out: ListedWord[] = [];
  const groups: [string, number][] = [[ONE, 1], [TWO, 2], [THREE, 3]];
  for (const [text, syllables] of groups) for (const word of text.split(' ')) out.push({ word, syllables });
  return out;
}

export const WORDS: readonly ListedWord[] = Object.freeze(build());
