// Every label of the dashboard, in English and Swedish: one table, nothing
// translatable anywhere else. t(key, vars) fills {name} placeholders.

export const STRINGS = {
  en: {
    title: 'Regional capacity',
    skipToContent: 'Skip to content',
    overview: 'Region overview',
    byCategory: 'Beds by category',
    organizations: 'Organizations and wards',
    drillDownHint: 'Expand an organization to see its sites and wards.',
    trend: 'Last 24 hours',
    sources: 'Sources',
    languageToggle: 'Svenska',
    languageToggleLabel: 'Byt språk till svenska',
    largeType: 'Large type',
    connConnecting: 'Connecting…',
    connLive: 'Live',
    connRetrying: 'Disconnected, retrying in {s} s',
    connOffline: 'Disconnected',
    updatedAt: 'Updated {time}',
    loadError: 'Could not load the capacity summary: {error}',
    staleBanner: 'Some numbers come from stale sources: {names}',
    staleMark: 'Stale',
    staleExplained: 'stale: data older than its limit',
    fresh: 'Current',
    total: 'Total beds',
    occupied: 'Occupied',
    free: 'Free',
    closed: 'Closed',
    housekeeping: 'Housekeeping',
    isolated: 'Isolated',
    unknown: 'Unknown state',
    dischargeReady: 'Discharge-ready',
    dischargeReadyPatients: 'Discharge-ready patients',
    waitDaysAvg: 'Average wait (days)',
    waitDaysMax: 'Longest wait (days)',
    occupancy: 'Occupancy',
    freeByCategory: 'Free by category',
    name: 'Name',
    category: 'Category',
    status: 'Status',
    expand: 'Show sites and wards of {name}',
    collapse: 'Hide sites and wards of {name}',
    kindOrganization: 'Organization',
    kindSite: 'Site',
    kindWard: 'Ward',
    kind_hospital: 'Hospital',
    kind_municipality: 'Municipality',
    'kind_care-unit': 'Care unit',
    noOrganizations: 'No organizations yet.',
    source: 'Source',
    state: 'State',
    lastSuccess: 'Last success',
    age: 'Age',
    staleAfter: 'Stale after',
    never: 'never',
    noSources: 'No sources configured.',
    trendUnavailable: 'The 24-hour trend is not available.',
    trendEmpty: 'No history recorded yet.',
    trendLabel: 'Occupied and free beds over the last 24 hours',
    trendStalePoints: 'Hatched: times when some data was stale',
    announceUpdate: 'Updated: {free} free beds, {occupied} occupied, {ready} discharge-ready patients',
    seconds: '{n} s',
    minutes: '{n} min',
    hours: '{n} h',
    cat_general: 'General',
    'cat_intensive-care': 'Intensive care',
    cat_paediatric: 'Paediatric',
    cat_psychiatric: 'Psychiatric',
    'cat_municipal-short-term': 'Municipal short-term',
    'cat_municipal-residential': 'Municipal residential',
    cat_unknown: 'Uncategorised',
  },
  sv: {
    title: 'Regional vårdplatskapacitet',
    skipToContent: 'Hoppa till innehållet',
    overview: 'Regionöversikt',
    byCategory: 'Vårdplatser per kategori',
    organizations: 'Organisationer och avdelningar',
    drillDownHint: 'Fäll ut en organisation för att se dess sjukhus och avdelningar.',
    trend: 'Senaste 24 timmarna',
    sources: 'Källor',
    languageToggle: 'English',
    languageToggleLabel: 'Switch language to English',
    largeType: 'Stor text',
    connConnecting: 'Ansluter…',
    connLive: 'Direkt',
    connRetrying: 'Frånkopplad, försöker igen om {s} s',
    connOffline: 'Frånkopplad',
    updatedAt: 'Uppdaterad {time}',
    loadError: 'Kunde inte hämta kapacitetssammanställningen: {error}',
    staleBanner: 'Vissa siffror kommer från inaktuella källor: {names}',
    staleMark: 'Inaktuell',
    staleExplained: 'inaktuell: data äldre än sin gräns',
    fresh: 'Aktuell',
    total: 'Vårdplatser totalt',
    occupied: 'Belagda',
    free: 'Lediga',
    closed: 'Stängda',
    housekeeping: 'Städning',
    isolated: 'Isolering',
    unknown: 'Okänd status',
    dischargeReady: 'Utskrivningsklara',
    dischargeReadyPatients: 'Utskrivningsklara patienter',
    waitDaysAvg: 'Medelväntan (dagar)',
    waitDaysMax: 'Längsta väntan (dagar)',
    occupancy: 'Beläggning',
    freeByCategory: 'Lediga per kategori',
    name: 'Namn',
    category: 'Kategori',
    status: 'Status',
    expand: 'Visa sjukhus och avdelningar för {name}',
    collapse: 'Dölj sjukhus och avdelningar för {name}',
    kindOrganization: 'Organisation',
    kindSite: 'Sjukhus/enhet',
    kindWard: 'Avdelning',
    kind_hospital: 'Sjukhus',
    kind_municipality: 'Kommun',
    'kind_care-unit': 'Vårdenhet',
    noOrganizations: 'Inga organisationer ännu.',
    source: 'Källa',
    state: 'Tillstånd',
    lastSuccess: 'Senast lyckad',
    age: 'Ålder',
    staleAfter: 'Inaktuell efter',
    never: 'aldrig',
    noSources: 'Inga källor konfigurerade.',
    trendUnavailable: 'Trenden för 24 timmar är inte tillgänglig.',
    trendEmpty: 'Ingen historik registrerad ännu.',
    trendLabel: 'Belagda och lediga vårdplatser de senaste 24 timmarna',
    trendStalePoints: 'Streckat: tider då vissa data var inaktuella',
    announceUpdate: 'Uppdaterat: {free} lediga vårdplatser, {occupied} belagda, {ready} utskrivningsklara patienter',
    seconds: '{n} s',
    minutes: '{n} min',
    hours: '{n} tim',
    cat_general: 'Allmän',
    'cat_intensive-care': 'Intensivvård',
    cat_paediatric: 'Barn',
    cat_psychiatric: 'Psykiatri',
    'cat_municipal-short-term': 'Kommunal korttidsvård',
    'cat_municipal-residential': 'Kommunalt särskilt boende',
    cat_unknown: 'Okategoriserad',
  },
};

export const LANGUAGES = Object.keys(STRINGS);

let current = 'en';

// The language from a saved choice, else the browser's, else English.
export function initialLanguage(saved, navigatorLanguages) {
  if (saved && STRINGS[saved]) return saved;
  for (const tag of navigatorLanguages || []) {
    const base = String(tag).toLowerCase().split('-')[0];
    if (STRINGS[base]) return base;
  }
  return 'en';
}

export function setLanguage(lang) {
  current = STRINGS[lang] ? lang : 'en';
}

export function language() {
  return current;
}

export function t(key, vars = {}) {
  const table = STRINGS[current];
  const text = key in table ? table[key] : (STRINGS.en[key] ?? key);
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}

// A bed category's label; an unlisted code is shown as it is.
export function categoryLabel(code) {
  const key = 'cat_' + code;
  return key in STRINGS[current] ? STRINGS[current][key] : code;
}

// "sv-SE" or "en-GB" number and time formats.
export function locale() {
  return current === 'sv' ? 'sv-SE' : 'en-GB';
}
